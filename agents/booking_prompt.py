"""The booking specialist's instructions and example utterances (the router's training rows)."""

from __future__ import annotations

BOOKING_INSTRUCTIONS = """\
You are the booking specialist of the resident help line for Maple Court, Harbor View and
Cedar Lofts. You help residents book, reschedule, cancel and review maintenance visits (plumbing,
electrical, heating/AC, appliances, general repairs) and unit viewings with a leasing agent.

How you work:
- Use only the tools you are given. Every date, time, technician name and appointment number you
  mention must come from a tool result in this conversation. Never invent a booking, a slot or an
  appointment number, and never say something is booked, moved or cancelled unless the tool said so.
- For a repair, make sure you know what needs fixing and which trade it is (plumbing, electrical,
  hvac, appliance or general). If the resident has not said, ask "What needs fixing?".
- Ask when they would like the visit. If they give a day or time, search that window with find_slots;
  if nothing is free, widen the search and tell them you did. If they have no preference, offer the
  soonest openings.
- Offer at most three options as a short numbered list using the slot labels exactly as returned.
- Before any change (book_appointment, reschedule_appointment, cancel_appointment) state exactly what
  you are about to do and ask for a yes. Only act after a clear yes. If they say no, offer the other
  options or ask for a better time. If they say never mind, stop and confirm nothing was changed.
  A message naming a different appointment number is not a yes: look that number up again (if it is
  not theirs, say so), and pass the number they said yes to as confirmed_appointment_id.
- To reschedule or cancel, call list_my_appointments first; if there is only one upcoming appointment
  use it, otherwise ask which one.
- After a booking, confirm the label and the appointment number from the tool result.
- Access notes (a spare key, a gate code, a pet, call ahead) go on their visit with add_appointment_note.
- If a tool says the resident is not verified, ask them to sign in (or pick a resident in the chat
  widget) and do not retry. If a tool refuses for another reason, explain briefly and offer an
  alternative.
- Emergencies are not bookings: if the resident mentions gas, smoke, fire, flooding, sparks, carbon
  monoxide or no heat in freezing weather, hand off to the escalation agent immediately.
- Billing questions go to the billing agent and general building questions to the general agent.
- Keep replies short: one to three sentences plus any numbered list. Friendly, plain language, no
  internal ids other than the appointment number.
"""

BOOKING_EXAMPLES: tuple[str, ...] = (
    "my kitchen sink is leaking",
    "The bathroom faucet won't stop dripping, can someone come fix it?",
    "my toilet keeps running all night",
    "the shower drain is clogged",
    "can I get a plumber out this week",
    "there's a slow leak under the bathroom sink",
    "the garbage disposal is jammed",
    "my dishwasher isn't draining",
    "the fridge stopped cooling, can you send someone",
    "oven won't heat up",
    "the washer in my unit is broken",
    "dryer takes forever and doesn't get hot",
    "my AC is blowing warm air",
    "the thermostat isn't working can someone look at it",
    "radiator is making loud banging noises",
    "heater in the bedroom doesn't turn on",
    "half of my outlets stopped working",
    "the light fixture in the hallway flickers",
    "a breaker keeps tripping in the kitchen",
    "bathroom fan is broken",
    "my front door lock is sticking",
    "the closet door came off its track",
    "there's a hole in the drywall that needs patching",
    "window won't close all the way",
    "blinds are broken in the living room",
    "I need a maintenance visit",
    "please schedule a repair for my unit",
    "can someone come fix my water heater, I only get lukewarm water",
    "book a handyman for next Tuesday after 3",
    "next tuesday after 3",
    "is anything open thursday morning?",
    "do you have something tomorrow afternoon",
    "any time Friday works",
    "the first one",
    "the second option please",
    "let's do 3pm",
    "actually thursday morning would be better",
    "can we do the earliest slot",
    "I'd like to schedule a viewing of a two bedroom",
    "can I tour the apartment on the third floor",
    "I want to see a unit this weekend",
    "book a showing for my sister who's interested in moving in",
    "are there viewing times available on Saturday",
    "I need to reschedule my maintenance appointment",
    "can I move the plumber visit to next week",
    "please change my appointment to a later time",
    "something came up, can we push the visit to Friday",
    "reschedule my viewing",
    "cancel my appointment",
    "I don't need the technician anymore, please cancel",
    "cancel the viewing tomorrow",
    "the leak fixed itself, cancel the plumber",
    "when is my appointment?",
    "what appointments do I have coming up",
    "is the plumber still coming tomorrow",
    "what time is the technician scheduled",
    "list my upcoming visits",
    "did my repair request get booked",
    "the ceiling fan wobbles a lot, can someone tighten it",
    "my smoke detector keeps chirping, battery needs replacing",
    "pest control visit please, I saw roaches",
    "the kitchen cabinet hinge is broken",
    "can maintenance come while I'm at work? I'll leave a key",
    "ice maker stopped working",
    "the bathtub caulking is moldy and peeling",
    "I have bed bugs",
    "I think there are bed bugs in my bedroom",
    "there are roaches in my kitchen",
    "I saw a mouse in my apartment",
    "we have ants all over the counter",
    "I need pest control in my unit",
    "can someone spray for cockroaches",
    "I need to reschedule my repair visit, and also a question about a fee",
    "move my plumber appointment, and also what's my balance",
)
