"""paperboy: the day's AI research papers, fetched, stored and posted to Discord."""

__version__ = "0.1.0"
