
pipelineb
`
nodesWUimp_ximp_zbktohe_keepohe_errvanorm3mmbin_neglr_binlr_multigbt