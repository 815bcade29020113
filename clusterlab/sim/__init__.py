"""The simulation engine: pure Python, no Django or Channels (an import contract checks it).

It takes an immutable `model.Cluster` snapshot and answers: where does this packet go,
who may talk to whom, what does this name resolve to, what would kubectl print.
"""
