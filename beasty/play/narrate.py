"""Words for what happens at the table, from one player's point of view:
cards, actions with their targets, and what a turn did (docs/RULES.md)."""

from __future__ import annotations

from collections import Counter

from beasty.rules import ACTIONS, Card, Species, State

#: One line per animal: what it does when played (docs/RULES.md, part 2).
ABILITIES: dict[Species, str] = {
    Species.SKUNK: "throws out every animal of the two highest strengths (skunks stay)",
    Species.PARROT: "throws out one animal of your choice",
    Species.KANGAROO: "jumps one or two animals ahead",
    Species.MONKEY: "with two or more monkeys: hippos and crocodiles are thrown out, monkeys go to the front",
    Species.CHAMELEON: "does the action of a species in the queue",
    Species.SEAL: "reverses the queue",
    Species.ZEBRA: "no action; hippos cannot pass it, crocodiles cannot eat it",
    Species.GIRAFFE: "every turn: swaps with a weaker animal directly ahead",
    Species.SNAKE: "sorts the queue, strongest first",
    Species.CROCODILE: "every turn: eats the weaker animals directly ahead",
    Species.HIPPO: "every turn: walks forward past weaker animals",
    Species.LION: "goes to the front, monkeys are thrown out; a second lion is thrown out itself",
}


def species_name(species: Species) -> str:
    return species.name.capitalize()


def card_label(card: Card, viewer: int, names: tuple[str, str] | None = None) -> str:
    """'your Lion' or 'their Lion' (with ``names``, a spectator's
    "champion's Lion")."""
    if names is not None:
        return f"{names[card.owner]}'s {species_name(card.species)}"
    return f"{'your' if card.owner == viewer else 'their'} {species_name(card.species)}"


def action_label(state: State, action: int, viewer: int, names: tuple[str, str] | None = None) -> str:
    """What playing ``action`` in ``state`` means, in words (targets named)."""
    spec = ACTIONS[action]
    text = species_name(spec.species)
    acting = spec.copy if spec.copy is not None else spec.species
    if spec.copy is not None:
        text += f" copying the {species_name(spec.copy)}"
    if acting is Species.PARROT and spec.param is not None:
        text += f": throw out {card_label(state.queue[spec.param], viewer, names)} (queue {spec.param + 1})"
    elif acting is Species.KANGAROO and spec.param is not None:
        text += f": hop over {spec.param} animal{'s' if spec.param > 1 else ''}"
    return text


def _added(before: tuple[Card, ...], after: tuple[Card, ...]) -> list[Card]:
    """The cards in ``after`` that ``before`` lacked, in ``after``'s order."""
    left = Counter(before)
    out = []
    for card in after:
        if left[card]:
            left[card] -= 1
        else:
            out.append(card)
    return out


def describe_turn(before: State, action: int, after: State, viewer: int,
                  names: tuple[str, str] | None = None) -> list[str]:  # fmt: skip
    """Lines saying who played what, and where animals went because of it
    (with ``names``, told to a spectator: "champion played ...")."""
    mover = before.to_move
    who = names[mover] if names is not None else "You" if mover == viewer else "They"
    lines = [f"{who} played {action_label(before, action, viewer, names)}."]
    entered = _added(before.bar, after.bar)
    thrown = _added(before.thats_it, after.thats_it)
    if thrown:
        lines.append(
            "Thrown out to THAT'S IT: " + ", ".join(card_label(c, viewer, names) for c in thrown) + "."
        )
    if entered:
        lines.append("Into the bar: " + ", ".join(card_label(c, viewer, names) for c in entered) + ".")
    return lines
