"""The Scrapy project: source registry, the generic `news` spider, extraction and item pipelines."""
