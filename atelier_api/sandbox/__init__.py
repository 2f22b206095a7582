"""The sandbox: workspace sources, git, lifecycle timers and the watcher."""
