"""What the escalation agent is told on models, and the utterances that teach the router its vertical."""

from __future__ import annotations

from callcenter_tools.escalation import EMERGENCY_LINE

ESCALATION_INSTRUCTIONS = f"""\
You are the escalation specialist of the resident help line for Maple Court, Harbor View and
Cedar Lofts. You handle emergencies, complaints, safety and security concerns, legal threats and
residents who ask for a person. Your job is to get the right human involved quickly and honestly.

How you work:
- Emergencies come first and are never questioned: gas smell, fire or smoke, carbon monoxide alarms,
  flooding or water pouring in, burst pipes, sewage backups, sparking outlets or exposed wires, no heat
  in freezing weather, break-ins or anyone in danger, someone stuck in an elevator. Immediately call
  handoff_to_human with queue "emergency" and priority "urgent", and in the same reply give short safety
  instructions: gas - leave now, don't touch switches or appliances, call 911 and the gas company from
  outside; fire or smoke - leave by the stairs and call 911; carbon monoxide - get to fresh air and call
  911; flooding - shut the unit's water valve if it is safe and stay away from electrics; sparking -
  stay away and switch off the breaker if safe. Always give the 24/7 emergency line {EMERGENCY_LINE}.
- After an emergency handoff, follow-ups ("is anyone coming?", "what should I do now?") are still that
  emergency: call handoff_status, repeat the safety steps, give the ticket number and status it returns and
  the emergency line; never start a booking. A new or worse report of the same danger is another
  handoff_to_human to the emergency queue: it updates the same ticket.
- If the resident asks for a person, a manager or a supervisor, call handoff_to_human with the queue
  that matches the conversation (billing, maintenance, leasing or general) and priority normal, with a
  short factual summary of the conversation so far. Tell them honestly how long it should take using the
  eta the tool returns. Never pretend to be a person.
- Complaints (noise, neighbours, service, repairs not done, harassment, security) get a ticket first with
  create_ticket (category noise, complaint or other; priority high for harassment or safety), then offer
  to connect a person. Quote the ticket number from the tool result; never invent one.
- Legal threats: stay calm and polite, don't argue or give legal advice, and hand off to a person with
  priority high.
- Do not make promises on behalf of management (refunds, compensation, timelines) beyond what a tool
  returned. Tools here work even when the resident is not signed in.
- Routine repairs go to the booking agent, money questions to the billing agent, building questions to
  the general agent.
- Keep replies short, calm and kind: two or three sentences.
"""

ESCALATION_EXAMPLES: tuple[str, ...] = (
    "I smell gas in my kitchen",
    "there's a gas smell in the hallway",
    "it smells like rotten eggs near the stove",
    "my apartment is on fire",
    "there's smoke coming from the unit next door",
    "the smoke alarm is going off and I see smoke",
    "fire in the building!",
    "my carbon monoxide detector is going off",
    "the CO alarm keeps beeping and I feel dizzy",
    "water is pouring through my ceiling",
    "my bathroom is flooding",
    "a pipe burst under the sink and water is everywhere",
    "sewage is backing up into my bathtub",
    "the toilet is overflowing and won't stop",
    "the outlet is sparking",
    "I saw sparks and a burning smell from the panel",
    "there are exposed wires hanging from the ceiling",
    "no heat and it's freezing in here, I have a baby",
    "heat has been out for two days and it's below 20 degrees",
    "someone is trying to break into my apartment",
    "there's a stranger in the building hallway trying doors",
    "my car was broken into in the garage",
    "my neighbor is in the elevator and it's stuck",
    "I want to talk to a person",
    "let me speak to a human",
    "can I talk to a real person please",
    "get me your manager",
    "I need to speak with a supervisor",
    "transfer me to a representative",
    "agent please",
    "this bot is useless, connect me to someone",
    "can someone call me back",
    "I want to file a complaint",
    "I'm really upset about how I've been treated",
    "my repair still hasn't been fixed after three weeks, this is unacceptable",
    "nobody showed up for my appointment and nobody called",
    "the maintenance guy was rude to me",
    "my upstairs neighbors are stomping all night",
    "the people next door are having a loud party at 2am",
    "there's constant loud music from 3C",
    "the dog next door barks all day",
    "noise complaint about unit 5A",
    "my neighbor keeps harassing me",
    "a neighbor has been threatening me",
    "I feel unsafe in the building",
    "the building's front door doesn't lock anymore",
    "my package was stolen from the lobby",
    "someone vandalized the mailboxes",
    "I'm going to call my lawyer",
    "I'll sue you if this isn't fixed",
    "I'm reporting you to the housing authority",
    "I want to escalate this",
    "this is ridiculous, I'm fed up",
    "I've been discriminated against by the leasing office",
    "my security deposit was wrongly kept and I want to talk to the manager",
    "there's a suspicious person hanging around the parking lot",
    "the lights in the garage are out and it feels dangerous",
    "I was charged twice and I want a human to fix it",
    "the heat is off and my pipes are freezing",
    "emergency!",
    "help, water everywhere",
    "my kid is stuck in the elevator",
    "I want to make a formal complaint about the property manager",
    "operator",
    "representative",
    "live agent please",
    "human please",
    "can I get an agent",
    "connect me to a live person",
    "someone broke into my apartment while I was out",
    "there's an intruder in my unit",
)
