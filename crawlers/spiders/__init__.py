"""Spiders of the mediawatch Scrapy project: one generic `news` spider driven by the registry."""
