"""The weekly e-mail: each recipient's own week, built through their scope."""
