"""Stock levels per SKU, with reservations that expire if an order is never paid."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when a reservation asks for more units than are on hand."""

    def __init__(self, sku: str, wanted: int, available: int) -> None:
        super().__init__(f"{sku}: wanted {wanted}, only {available} available")
        self.sku = sku
        self.wanted = wanted
        self.available = available


@dataclass
class Reservation:
    sku: str
    quantity: int
    created_at: float = field(default_factory=time.time)

    def expired(self, ttl_s: float, now: float | None = None) -> bool:
        return (now or time.time()) - self.created_at > ttl_s


@dataclass
class Inventory:
    on_hand: dict[str, int] = field(default_factory=dict)
    reservations: list[Reservation] = field(default_factory=list)

    def available(self, sku: str) -> int:
        reserved = sum(r.quantity for r in self.reservations if r.sku == sku)
        return self.on_hand.get(sku, 0) - reserved

    def restock(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError("restock quantity must be positive")
        self.on_hand[sku] = self.on_hand.get(sku, 0) + quantity

    def release_expired(self, ttl_s: float = 900.0) -> int:
        before = len(self.reservations)
        self.reservations = [r for r in self.reservations if not r.expired(ttl_s)]
        return before - len(self.reservations)


def reserve_stock(inventory: Inventory, sku: str, quantity: int) -> Reservation:
    """Hold ``quantity`` units of ``sku`` for an order that is not paid yet."""
    available = inventory.available(sku)
    if quantity > available:
        raise OutOfStock(sku, quantity, available)
    reservation = Reservation(sku, quantity)
    inventory.reservations.append(reservation)
    return reservation
