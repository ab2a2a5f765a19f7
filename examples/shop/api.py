"""A tiny request handler layer: JSON-ish dicts in, dicts out."""

from __future__ import annotations

from decimal import Decimal

from inventory import Inventory, OutOfStock, reserve_stock
from orders import Order, OrderLine, place_order

INVENTORY = Inventory(on_hand={"MUG-01": 12, "TEE-M": 4, "GIFT-WRAP": 50})


def handle_hold(body: dict[str, object]) -> dict[str, object]:
    """Hold stock for a customer while they finish checking out."""
    sku = str(body["sku"])
    quantity = int(str(body.get("quantity", 1)))
    try:
        reservation = reserve_stock(INVENTORY, sku, quantity)
    except OutOfStock as exc:
        return {"ok": False, "error": str(exc), "available": exc.available}
    return {"ok": True, "sku": reservation.sku, "quantity": reservation.quantity}


def handle_checkout(body: dict[str, object]) -> dict[str, object]:
    lines = [
        OrderLine(str(item["sku"]), int(item["quantity"]), Decimal(str(item["price"])))
        for item in body["lines"]  # type: ignore[attr-defined]
    ]
    order = Order(id=str(body["id"]), customer=str(body["customer"]), lines=lines)
    try:
        place_order(order, INVENTORY)
    except OutOfStock as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "order": order.id, "total": str(order.total)}
