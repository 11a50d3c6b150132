
decision_tree_classifier+

num_features
 

num_classes
 