"""Orders: a cart becomes an order once every line has stock reserved."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from inventory import Inventory, OutOfStock, Reservation, reserve_stock


class Status(Enum):
    OPEN = "open"
    RESERVED = "reserved"
    PAID = "paid"
    CANCELLED = "cancelled"


@dataclass
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class Order:
    id: str
    customer: str
    lines: list[OrderLine] = field(default_factory=list)
    status: Status = Status.OPEN
    reservations: list[Reservation] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))


def place_order(order: Order, inventory: Inventory) -> Order:
    """Reserve stock for every line; on any shortage release what was taken and re-raise."""
    taken: list[Reservation] = []
    try:
        for line in order.lines:
            taken.append(reserve_stock(inventory, line.sku, line.quantity))
    except OutOfStock:
        for reservation in taken:
            inventory.reservations.remove(reservation)
        raise
    order.reservations = taken
    order.status = Status.RESERVED
    return order


def cancel_order(order: Order, inventory: Inventory) -> None:
    for reservation in order.reservations:
        if reservation in inventory.reservations:
            inventory.reservations.remove(reservation)
    order.reservations = []
    order.status = Status.CANCELLED
