"""Optional LLM enrichment: bullet summaries and taxonomy tags from any OpenAI-compatible endpoint.

``client`` speaks ``/chat/completions`` within the configured concurrency and rate; ``prompt`` says what
is asked (paper text as delimited data); ``answer`` checks every answer as untrusted text; ``enrich``
picks the papers, asks, and writes good answers through the store's merge rule.
"""
