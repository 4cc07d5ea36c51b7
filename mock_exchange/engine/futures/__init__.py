"""The futures venues' account side: positions, margin, settlement of fills, funding, risk.

- :mod:`.brackets`: leverage brackets (maximum leverage, maintenance margin by notional).
- :mod:`.positions`: a position and the arithmetic of fills (entry, break-even, PnL).
- :mod:`.account`: one account's futures state (settings, positions, wallet moves, income).
- :mod:`.settlement`: the engine's order updates become positions and futures user data.
- :mod:`.risk`: funding payments, margin calls and liquidations.
- :mod:`.liquidation_price`: where a position would be liquidated.
- :mod:`.events`: the futures user-data events.

Pure and deterministic, like the rest of the engine; every amount is a ``Decimal``.
"""
