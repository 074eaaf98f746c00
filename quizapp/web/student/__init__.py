"""The student blueprint."""
