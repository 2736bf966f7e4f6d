"""The compile path: every file of every build goes through here (lean, boring, never fails a build)."""
