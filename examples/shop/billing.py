"""Invoices and payment capture for reserved orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from inventory import Inventory, reserve_stock
from orders import Order, Status

VAT_RATE = Decimal("0.20")


@dataclass(frozen=True)
class Invoice:
    order_id: str
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def invoice_for(order: Order) -> Invoice:
    net = order.total
    vat = (net * VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Invoice(order.id, net, vat)


def capture_payment(order: Order, gateway_charge: object) -> Invoice:
    if order.status is not Status.RESERVED:
        raise ValueError(f"order {order.id} is {order.status.value}, not reserved")
    invoice = invoice_for(order)
    charge = getattr(gateway_charge, "charge")
    charge(order.customer, invoice.gross)
    order.status = Status.PAID
    return invoice


def add_gift_wrap(order: Order, inventory: Inventory) -> None:
    """Gift wrap is a stocked item too: reserve one roll per order."""
    order.reservations.append(reserve_stock(inventory, "GIFT-WRAP", 1))
