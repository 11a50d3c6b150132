// Package irisdata is the 150-row iris data set built into irisctl: Fisher's
// measurements as bundled with scikit-learn (sklearn/datasets/data/iris.csv),
// with the UCI class names Iris-setosa, Iris-versicolor and Iris-virginica.
//
// iris.csv has a header line
//
//	sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,class
//
// and was written from scikit-learn's file by mapping its class numbers
// 0, 1, 2 to the UCI names; the measurements are copied as text.
package irisdata

import (
	_ "embed"
	"strings"
)

// CSV is the embedded file, header included.
//
//go:embed iris.csv
var CSV string

// Header holds the column names of CSV.
var Header = []string{"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm", "class"}

// Classes are the class names in the data, in the order they appear.
var Classes = []string{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}

// Row is one record of the data set.
type Row struct {
	// Features are the four measurements as written in the file, joined by
	// commas: the record format the classifier stream reads, e.g.
	// "5.1,3.5,1.4,0.2".
	Features string
	Class    string
}

// Line is the full CSV line of the row, class included.
func (r Row) Line() string { return r.Features + "," + r.Class }

// Rows returns the 150 records in file order.
func Rows() []Row {
	lines := strings.Split(strings.TrimSpace(CSV), "\n")
	rows := make([]Row, 0, len(lines)-1)
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		i := strings.LastIndexByte(l, ',')
		rows = append(rows, Row{Features: l[:i], Class: l[i+1:]})
	}
	return rows
}
