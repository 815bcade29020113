"""ClusterLab: learn Kubernetes networking on a faithful simulator."""
