"""What the UKE inventory export takes from the optical network.

The export (:mod:`planner.output.uke`) writes one cable line (``lk``)
per run of the route between *break nodes* and a flexibility point (``pe``)
at every break node.  With a designed optical network:

* the cabinets and closures (splice and splitter closures) are break nodes
  too, so every line ends at a real flexibility point;
* a break node that is a cabinet is reported as ``pe02 = "01"`` (szafa
  kablowa), every other one as ``"03"`` (mufa kablowa);
* ``lk07`` (fibres in the cable) is the size of the cable laid on the line's
  first segment (times the cables laid side by side there) and ``lk08`` (fibres used) the fibres it carries, instead of
  one fibre per home plus a flat reserve.

:func:`uke_network` returns these as a :class:`UkeNetwork`, or ``None`` for
a plan without the network layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["UkeNetwork", "uke_network", "PE_CABINET", "PE_CLOSURE"]

#: pe02 codes (UKE code list "Typ lokalizacji punktu elastyczności").
PE_CABINET, PE_CLOSURE = "01", "03"


@dataclass(frozen=True)
class UkeNetwork:
    """Flexibility points and fibre counts of a network, keyed by graph node and segment id.

    Attributes
    ----------
    joints
        Graph nodes of cabinets and closures (they break the cable lines).
    cabinets
        Graph nodes of cabinets.
    cable_size, fibres_used
        Per segment id: the fibres laid (cable size x parallel cables) and the
        fibres it carries.
    """

    joints: frozenset[int]
    cabinets: frozenset[int]
    cable_size: dict[int, int]
    fibres_used: dict[int, int]

    def fibres(self, segment_id: int, fallback: tuple[int, int]) -> tuple[int, int]:
        """``(lk07, lk08)`` of a line starting with ``segment_id`` (``fallback`` if unknown)."""
        if segment_id not in self.cable_size:
            return fallback
        return self.cable_size[segment_id], self.fibres_used[segment_id]

    def pe_types(self, nodes: np.ndarray) -> np.ndarray:
        """pe02 code of the flexibility point at each graph node."""
        return np.array([PE_CABINET if int(n) in self.cabinets else PE_CLOSURE for n in nodes], dtype=object)


def uke_network(plan: Any) -> UkeNetwork | None:
    """The network part of the UKE export of a plan (``None`` without a network layer)."""
    net = getattr(plan, "network", None)
    if net is None:
        return None
    sf = net.segment_fibres
    cab = frozenset(int(x) for x in net.cabinets["node"])
    clo = frozenset(int(x) for x in net.closures["node"])
    sid = sf["segment_id"].to_numpy(dtype=np.int64).tolist()
    return UkeNetwork(joints=cab | clo, cabinets=cab,
                      cable_size=dict(zip(sid, (sf["cable_size"] * sf["parallel"]).to_numpy(dtype=np.int64).tolist())),
                      fibres_used=dict(zip(sid, sf["fibres"].to_numpy(dtype=np.int64).tolist())))
