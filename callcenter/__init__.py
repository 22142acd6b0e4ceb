"""callcenter: cost-aware AI agents for a call center.

Data flows one way: channel -> orchestrator -> router / specialist / verifier ->
providers and tools -> store. Lower layers never import higher ones.
"""

__version__ = "0.1.0"
