"""Collectors: each turns one source (ECR, ECS, CloudWatch Logs, log files, code) into evidence."""
