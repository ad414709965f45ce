"""Grounding: every sentence briefbot shows is tied to, and checked against, a source span.

``verify`` checks a sentence against the spans it cites, ``finalize`` applies the policy,
numbers the sources and flags injections, ``mmr`` picks relevant and unlike items, ``scope``
turns ids or a query into the articles and passages a brief or comparison reads.
"""
