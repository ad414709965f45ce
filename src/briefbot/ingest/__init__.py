"""Ingest: loaders (files, HTML, URLs, feeds, JSONL), safe fetching, chunking, wire-copy
dedup, and the ``Ingestor`` that stores articles crash-safely.
"""
