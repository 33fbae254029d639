"""Services: each method takes the caller's Identity first and asks the policy before anything else."""
from .archive import Archive

__all__ = ["Archive"]
