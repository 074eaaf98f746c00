"""The privacy blueprint: an admin exports or erases what is stored about one learner."""
