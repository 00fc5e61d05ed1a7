"""mediawatch: crawl, classify, index and alert on Russian/Azerbaijani media narratives.

The architecture is described in README.md; each stage lives in its own top-level package
(crawlers, nlp, indexer) and this package holds the CLI, settings, scheduler and alerts.
"""

import logging

__version__ = "0.1.0"
__all__ = ["__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
