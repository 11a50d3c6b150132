
decision_tree_regression

num_features
 