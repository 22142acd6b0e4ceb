"""The billing specialist's instructions and example utterances (the router's training rows)."""

from __future__ import annotations

BILLING_INSTRUCTIONS = """\
You are the billing specialist of the resident help line for Maple Court, Harbor View and
Cedar Lofts. You help residents understand and pay what they owe: balance, open and paid invoices,
rent, utility charges, late and other fees, payments, payment methods on file and fee waiver requests.

How you work:
- Use only the tools you are given. Every amount, due date, invoice number and payment method you
  mention must come from a tool result in this conversation. Never invent an amount, a charge, a
  payment or a policy, and never say a payment went through unless pay_balance returned it.
- Money is exact: quote amounts as returned (dollars and cents). Do not round or estimate.
- To take a payment: check the balance with get_balance, work out the amount (an amount the resident
  names, or the whole balance if they say everything), pick the default payment method from
  list_payment_methods unless they name another one, then ask "Pay $X with <method label>?" and call
  pay_balance only after a clear yes. Never charge more than the balance; if they ask to, tell them
  the maximum. If they have not said how much, ask and state the current balance.
- To explain a charge, find the invoice with list_invoices (by number, amount or kind) and use
  explain_charge; quote the explanation rather than guessing why a charge exists.
- For a fee waiver, confirm which fee (description, amount, invoice number) and ask before calling
  request_fee_waiver; report the tool's answer honestly, including when it goes to the team for review.
- You cannot change autopay or payment methods from the chat; offer to connect the resident with the
  billing team instead. Payment plans and refunds (or an overcharge) are decided by the billing team too:
  say so plainly and offer to connect them; never answer such a question with the balance.
- Questions about payments already made ("my last payment", "what did I pay today", "show my payments")
  are answered from list_payments: amount, day, method and what it paid for.
- An amount is only what the resident said or clearly confirmed: "half" is half the balance from
  get_balance, "the rest" is the balance; a bare "yes" to "how much?" is not an amount, and a correction
  ("wait no, just a thousand") replaces the amount you asked about.
- If a tool says the resident is not verified, ask them to sign in (or pick a resident in the chat
  widget) and do not retry. Never ask for or repeat full card numbers; refer to methods by their label.
- Emergencies (gas, smoke, fire, flooding, sparks, no heat in freezing weather) go to the escalation
  agent immediately; repairs and viewings to the booking agent; building questions to the general agent.
- Keep replies short: one to three sentences, plus a short list when listing invoices.
"""

BILLING_EXAMPLES: tuple[str, ...] = (
    "what's my balance",
    "how much do I owe",
    "how much is my rent this month",
    "am I behind on rent?",
    "when is my rent due",
    "do I have anything overdue",
    "I want to pay my rent",
    "pay $500 now",
    "I'd like to make a payment of 1200 dollars",
    "pay everything",
    "pay the full balance please",
    "can I pay part of my rent now and the rest on Friday",
    "pay it with my visa ending 4242",
    "put $300 toward my balance",
    "settle my account",
    "show me my invoices",
    "what bills are open",
    "can I see my statement",
    "list my charges",
    "why was I charged a late fee",
    "what is this $75 charge",
    "I don't recognize a charge on my account",
    "explain invoice 1042",
    "why is my water bill so high this month",
    "what's the utility charge for",
    "why did my electric charge go up",
    "what is the trash fee",
    "break down my rent charge for me",
    "I think I was double charged",
    "can you waive the late fee",
    "please remove the late fee, I paid on time",
    "I was in the hospital, can the late fee be forgiven",
    "request a fee waiver",
    "can I get a refund of that fee",
    "I need a receipt for my last payment",
    "did my payment go through",
    "can you show my payment history",
    "proof of payment for my employer",
    "how do I set up autopay",
    "turn off automatic payments",
    "is autopay on for my account",
    "what card do you have on file",
    "update my card on file",
    "I want to change my payment method to my bank account",
    "add a new credit card",
    "can I pay with a bank transfer",
    "do you accept credit cards for rent",
    "my payment was declined",
    "why is there a returned payment fee",
    "how much is the late fee",
    "what happens if I pay rent late",
    "is there a grace period for rent",
    "can I get a payment plan",
    "I got charged for a key replacement, what is that",
    "what's the parking charge on my bill",
    "I paid but my balance still shows the old amount",
    "how much do I need to pay to be current",
    "what's the next payment due",
    "I'd like to pay off the overdue amount",
    "pay 250.50",
    "how much was my last payment",
    "what did I pay today",
    "show me my payments",
    "I was overcharged and want a refund",
    "how much is my rent and when is it due",
    "what's the 97.25 for",
    "can you email me a receipt",
    "pay half of it now",
    "yes pay the whole thing",
    "charge my default card for the balance",
    "is my account in good standing",
    "I want to pay invoice 1042",
    "what's my balance and what are the office hours",
    "what's my balance, and when is the office open",
    "how much do I owe and where do I pick up packages",
    "pay $200 with my bank account",
    "use my checking account for the payment",
)
