// Client-side cart: keeps line items and talks to the checkout endpoint.

export interface CartLine {
  sku: string;
  quantity: number;
  price: number;
}

export class Cart {
  private lines: Map<string, CartLine> = new Map();

  add(sku: string, price: number, quantity = 1): void {
    const line = this.lines.get(sku);
    if (line) {
      line.quantity += quantity;
    } else {
      this.lines.set(sku, { sku, quantity, price });
    }
  }

  remove(sku: string): void {
    this.lines.delete(sku);
  }

  total(): number {
    let sum = 0;
    for (const line of this.lines.values()) {
      sum += line.price * line.quantity;
    }
    return Math.round(sum * 100) / 100;
  }

  toPayload(orderId: string, customer: string) {
    return { id: orderId, customer, lines: [...this.lines.values()] };
  }
}

export async function checkout(cart: Cart, orderId: string, customer: string): Promise<boolean> {
  const response = await fetch("/api/checkout", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(cart.toPayload(orderId, customer)),
  });
  const result = await response.json();
  return result.ok === true;
}
