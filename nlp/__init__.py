"""Language id, target mentions, the stance/hostility classifier: training, inference, evaluation."""
