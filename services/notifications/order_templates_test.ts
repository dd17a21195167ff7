import assert from "node:assert/strict";
import {
  cancellationAnswered,
  cancellationRequested,
  extensionAnswered,
  extensionRequested,
  formatInstant,
  formatMoney,
  minorUnitDigits,
  newOrder,
  orderCancelled,
  orderCompletedForBuyer,
  orderCompletedForSeller,
  orderDelivered,
  orderLink,
  type OrderMessage,
  orderReceipt,
  paymentReceived,
  reviewReceived,
  revisionRequested,
  startWorking,
} from "./order_templates.ts";

const link = orderLink("https://market.example/", "3f1c");
const usd = (amount: number) => ({ amount, currency: "USD" });

Deno.test("formatMoney() reads minor units by the currency's ISO 4217 exponent, exactly", () => {
  assert.equal(formatMoney(usd(2500)), "$25.00");
  assert.equal(formatMoney(usd(7)), "$0.07");
  assert.equal(formatMoney(usd(0)), "$0.00");
  assert.equal(formatMoney(usd(123456789)), "$1,234,567.89");
  assert.equal(formatMoney({ amount: 99, currency: "EUR" }), "€0.99");
  assert.equal(formatMoney({ amount: 1999, currency: "GBP" }), "£19.99");
  // No minor unit: 5000 yen are ¥5,000, not ¥50.00.
  assert.equal(formatMoney({ amount: 5000, currency: "JPY" }), "¥5,000");
  assert.equal(formatMoney({ amount: 12000, currency: "KRW" }), "₩12,000");
  // Three digits, and one where ICU's display digits (0) differ from ISO's (3).
  assert.match(formatMoney({ amount: 1500, currency: "KWD" }), /^KWD\s1\.500$/);
  assert.match(formatMoney({ amount: 1500, currency: "IQD" }), /^IQD\s1\.500$/);
  // No float on the way: the largest safe integer keeps its last digit.
  assert.equal(formatMoney(usd(Number.MAX_SAFE_INTEGER)), "$90,071,992,547,409.91");
  assert.equal(formatMoney(usd(-250)), "-$2.50");
});

Deno.test("minorUnitDigits() follows ISO 4217", () => {
  assert.deepEqual(
    ["USD", "JPY", "KWD", "CLF", "EUR", "VND", "BHD"].map(minorUnitDigits),
    [2, 0, 3, 4, 2, 0, 3],
  );
});

Deno.test("formatInstant() writes a moment in UTC, saying so", () => {
  assert.equal(formatInstant(new Date("2031-03-05T14:30:00Z")), "Wed, Mar 5, 2031, 14:30 UTC");
  assert.equal(formatInstant(new Date("2031-03-05T00:05:00Z")), "Wed, Mar 5, 2031, 00:05 UTC");
});

Deno.test("orderLink() gives the absolute mail link and the in-app path, with the id encoded", () => {
  assert.deepEqual(orderLink("https://market.example", "o-1"), {
    url: "https://market.example/orders/o-1",
    path: "/orders/o-1",
  });
  assert.deepEqual(orderLink("https://x.example/app/", "../admin?x=1"), {
    url: "https://x.example/app/orders/..%2Fadmin%3Fx%3D1",
    path: "/orders/..%2Fadmin%3Fx%3D1",
  });
});

/** Every order and review message, with user-chosen text set to `hostile`. */
function everyMessage(hostile: string): OrderMessage[] {
  const gigTitle = hostile;
  const reason = hostile;
  const due = new Date("2031-03-05T14:30:00Z");
  const created = {
    orderId: "3f1c",
    gigTitle,
    package: "premium",
    price: usd(2500),
    serviceFee: usd(250),
    total: usd(2750),
  };
  const completed = { gigTitle, sellerEarnings: usd(2000), by: "buyer" };
  const cancelled = { gigTitle, reason, refund: usd(2750) };
  return [
    orderReceipt(created, link),
    newOrder(created, link),
    paymentReceived({ gigTitle, total: usd(2750), dueAt: due }, link),
    startWorking({ gigTitle, total: usd(2750), dueAt: due }, link),
    orderDelivered({ gigTitle, autoCompleteAt: due }, link),
    revisionRequested({ gigTitle, revisionsLeft: 2 }, link),
    orderCompletedForBuyer(completed, link),
    orderCompletedForSeller(completed, link),
    orderCancelled(cancelled, "buyer", link),
    orderCancelled(cancelled, "seller", link),
    extensionRequested({ gigTitle, days: 2, reason }, link),
    extensionAnswered({ gigTitle, approved: true, dueAt: due }, link),
    extensionAnswered({ gigTitle, approved: false, dueAt: due }, link),
    cancellationRequested({ gigTitle, requestedBy: "seller", reason }, link),
    cancellationAnswered({ gigTitle, accepted: true, requestedBy: "buyer" }, link),
    cancellationAnswered({ gigTitle, accepted: false, requestedBy: null }, link),
    reviewReceived({ reviewer: "buyer", rating: 3, comment: hostile }, link),
  ];
}

Deno.test("every order mail escapes user-chosen text in HTML, keeps it readable in text and out of the subject", () => {
  const hostile = `<img src=x onerror="alert(1)"> & 'quotes'`;
  const username = `<b>bob</b>`;
  for (const message of everyMessage(hostile)) {
    const mail = message.mail({ username });
    const name = message.template;
    assert.ok(!mail.html.includes("<img") && !mail.html.includes("<b>"), name);
    assert.ok(mail.html.includes("&lt;b&gt;bob&lt;/b&gt;"), name);
    assert.ok(mail.text.startsWith(`Hi ${username},`), name);
    assert.ok(!mail.subject.includes("<") && !mail.subject.includes("bob"), name);
    // Each shows user-chosen text (a title, reason or comment): readable in text, inert in HTML.
    assert.ok(mail.text.includes(hostile), name);
    assert.ok(mail.html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"), name);
    assert.ok(!message.notification.body.includes("<img") || mail.text.includes(hostile), name);
    assert.ok(mail.text.includes("https://market.example/orders/3f1c"), name);
    assert.ok(mail.html.includes(`href="https://market.example/orders/3f1c"`), name);
    assert.equal(message.notification.link, "/orders/3f1c", name);
    assert.ok(message.notification.title.length > 0 && message.notification.body.length > 0);
  }
  // The gig title appears in every message.
  for (const message of everyMessage("Unique Gig Title")) {
    if (message.template === "review_received") continue; // review events carry no title
    assert.ok(
      message.mail({ username: "a" }).text.includes("“Unique Gig Title”"),
      message.template,
    );
  }
});

Deno.test("the receipt lists package, price, fee and total; the seller's mail only the price", () => {
  const input = {
    orderId: "3f1c",
    gigTitle: "Logo",
    package: "premium",
    price: { amount: 5000, currency: "JPY" },
    serviceFee: { amount: 500, currency: "JPY" },
    total: { amount: 5500, currency: "JPY" },
  };
  const receipt = orderReceipt(input, link).mail({ username: "ada" });
  assert.match(
    receipt.text,
    /Order: 3f1c\nPackage: Premium\nPrice: ¥5,000\nService fee: ¥500\nTotal: ¥5,500/,
  );
  assert.match(receipt.html, /<td[^>]*>Total<\/td><td[^>]*>¥5,500<\/td>/);
  const seller = newOrder(input, link).mail({ username: "sam" });
  assert.match(seller.text, /Price: ¥5,000/);
  assert.ok(!seller.text.includes("¥5,500"));
});

Deno.test("wording follows the event: automatic completion, refunds, unknown requester, missing optional fields", () => {
  const auto = { gigTitle: "Logo", sellerEarnings: usd(2000), by: "auto" };
  assert.match(orderCompletedForBuyer(auto, link).mail({ username: "a" }).text, /automatically/);
  assert.match(orderCompletedForSeller(auto, link).mail({ username: "a" }).text, /\$20\.00/);
  const noRefund = orderCancelled({ gigTitle: "Logo", reason: null, refund: null }, "buyer", link);
  assert.ok(!noRefund.mail({ username: "a" }).text.includes("refund"));
  assert.ok(!noRefund.mail({ username: "a" }).text.includes("Reason"));
  const known = cancellationAnswered(
    { gigTitle: "Logo", accepted: true, requestedBy: "buyer" },
    link,
  );
  assert.match(known.mail({ username: "a" }).text, /The seller accepted your request/);
  const unknown = cancellationAnswered(
    { gigTitle: "Logo", accepted: false, requestedBy: null },
    link,
  );
  assert.match(unknown.mail({ username: "a" }).text, /The request to cancel “Logo” was declined/);
  assert.ok(
    !orderDelivered({ gigTitle: "Logo", autoCompleteAt: null }, link).mail({
      username: "a",
    }).text.includes("automatically"),
  );
  assert.ok(
    !revisionRequested({ gigTitle: "Logo", revisionsLeft: null }, link).mail({
      username: "a",
    }).text.includes("Revisions left"),
  );
  assert.match(
    extensionRequested({ gigTitle: "Logo", days: 1, reason: null }, link).mail({ username: "a" })
      .text,
    /by 1 day\./,
  );
  assert.match(
    reviewReceived({ reviewer: "seller", rating: 1, comment: null }, link).mail({ username: "a" })
      .text,
    /1 star out of 5/,
  );
});

Deno.test("an order made from a custom offer (package custom) reads as a custom offer", () => {
  const input = {
    orderId: "3f1c",
    gigTitle: "Logo",
    package: "custom",
    price: usd(12000),
    serviceFee: usd(760),
    total: usd(12760),
  };
  for (const message of [orderReceipt(input, link), newOrder(input, link)]) {
    const mail = message.mail({ username: "ada" });
    assert.ok(mail.text.includes("Package: Custom offer"), mail.text);
    assert.ok(message.notification.body.includes("(Custom offer, "), message.notification.body);
  }
});
