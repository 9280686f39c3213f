/*
 * beasty.h -- the public C API of the beasty Beasty Bar engine.
 *
 * Beasty Bar (Zoch 2014, Stefan Kloss), two players, as specified by
 * docs/RULES.md (its decisions on every open point are in section 4):
 *   - each player owns the 12 animals (strength 1..12), shuffled: 4 in hand,
 *     8 in a face-down draw pile;
 *   - a turn: play a hand card at the back of the queue, resolve its on-play
 *     action, run the recurring animals (hippo, crocodile, giraffe) front to
 *     back once each, skipping the card played this turn, then the
 *     five-animal check (front two to the bar, last one to THAT'S IT), then
 *     the mover draws one card if their pile is not empty;
 *   - score = printed points of one's own animals in the bar; the higher
 *     score wins, equal scores are a draw;
 *   - the game ends when every card has been played, or (early_stop, the
 *     default) as soon as queue + hands + piles < 5, which cannot change the
 *     result (RULES.md A18);
 *   - the start player is drawn from the game's RNG (A16).
 *
 * Conventions: plain C11, no globals, no heap inside the state.  Every
 * public symbol starts with bb_ / BB_.  Functions that can fail return a
 * bb_status; illegal input is reported, never undefined behaviour.
 *
 * beasty/_ext/cbeasty.pxd mirrors this header: keep the two in sync.
 */
#ifndef BEASTY_H
#define BEASTY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- sizes */
#define BB_NUM_PLAYERS 2
#define BB_NUM_SPECIES 12  /* species ids 1..12 = strength */
#define BB_CARDS_PER_PLAYER 12
#define BB_NUM_CARDS 24
#define BB_QUEUE_MAX 5
#define BB_HAND_MAX 4
#define BB_DECK_MAX 8

/* ------------------------------------------------------------- species */
/* The species id equals the animal's strength. */
typedef enum bb_species {
    BB_NONE = 0,       /* empty slot */
    BB_SKUNK = 1,      /* expels the two strongest non-skunk species      4 pts */
    BB_PARROT = 2,     /* expels one animal of the player's choice        4 pts */
    BB_KANGAROO = 3,   /* jumps 1 or 2 animals                            4 pts */
    BB_MONKEY = 4,     /* gang of >= 2 expels hippos and crocodiles       3 pts */
    BB_CHAMELEON = 5,  /* copies a species present in the queue           3 pts */
    BB_SEAL = 6,       /* reverses the queue                              2 pts */
    BB_ZEBRA = 7,      /* blocks hippos and crocodiles (permanent)        4 pts */
    BB_GIRAFFE = 8,    /* recurring: swaps with a weaker animal ahead     3 pts */
    BB_SNAKE = 9,      /* stable sort, strongest first                    2 pts */
    BB_CROCODILE = 10, /* recurring: eats weaker animals ahead            3 pts */
    BB_HIPPO = 11,     /* recurring: passes weaker animals ahead          2 pts */
    BB_LION = 12       /* scares monkeys, goes first; second lion bounces 2 pts */
} bb_species;

/* Printed points of each species (index = species id; 0 for no card). */
static const int8_t BB_POINTS[BB_NUM_SPECIES + 1] = {0, 4, 4, 4, 3, 3, 2, 4, 3, 2, 3, 2, 2};

/* A card is one byte: bits 0-3 species, bit 4 owner (0/1).  0 = no card.
 * Bit 7 is used internally during the recurring pass and never escapes. */
#define BB_CARD(owner, species) ((uint8_t)(((owner) << 4) | (species)))
#define BB_CARD_SPECIES(c) ((c) & 0x0F)
#define BB_CARD_OWNER(c) (((c) >> 4) & 1)
/* Bits 1..12: every species, as the species masks of the API use them. */
#define BB_ALL_SPECIES 0x1FFEu

/* -------------------------------------------------------- action space
 * 33 indices.  An index names the animal and its parameters, never a hand
 * slot, so it means the same thing whatever the hand order.  "t" is a
 * target position in the queue as it was before the move (0 = front,
 * next to Heaven's Gate); "hop" is the kangaroo distance.
 *
 *   idx  meaning                          legal when
 *    0   skunk                            skunk in hand
 *    1   parrot, no target                queue empty (no effect)
 *    2-5 parrot expels queue[t], t=0..3   t < queue length
 *    6   kangaroo, no jump                queue empty
 *    7   kangaroo hop 1                   queue length >= 1
 *    8   kangaroo hop 2                   queue length >= 2
 *    9   monkey
 *   10   chameleon, copies nothing        no non-chameleon animal in queue
 *   11   chameleon as skunk               a skunk in the queue
 *  12-15 chameleon as parrot, target t    a parrot in the queue, t < length
 *  16-17 chameleon as kangaroo, hop 1/2   a kangaroo in the queue, hop <= length
 *   18   chameleon as monkey  ... 25 chameleon as lion (one index per
 *        species: 18 monkey, 19 seal, 20 zebra, 21 giraffe, 22 snake,
 *        23 crocodile, 24 hippo, 25 lion), each legal when that species
 *        is in the queue
 *   26   seal   27 zebra   28 giraffe   29 snake   30 crocodile
 *   31   hippo  32 lion
 * Copying is by species: both players' animals of a species act alike.
 */
#define BB_NUM_ACTIONS 33
#define BB_NO_PARAM (-1)

typedef struct bb_action_info {
    int8_t species; /* card played */
    int8_t copy;    /* species imitated by a chameleon, 0 otherwise */
    int8_t param;   /* parrot target t, kangaroo hop, or BB_NO_PARAM */
} bb_action_info;

/* Returns the table entry for action a (0 <= a < BB_NUM_ACTIONS), or NULL. */
const bb_action_info *bb_action_get(int32_t a);
/* First action index and number of indices of a species (1..12). */
int32_t bb_species_first_action(int32_t species);
int32_t bb_species_num_actions(int32_t species);

/* ---------------------------------------------------------------- RNG
 * splitmix64 (Steele, Lea, Flood 2014).  Seeding rule: state = seed.
 * Bounded integers use Lemire's multiply-shift with rejection, unbiased. */
typedef struct bb_rng {
    uint64_t state;
} bb_rng;

void bb_rng_seed(bb_rng *rng, uint64_t seed);
uint64_t bb_rng_next(bb_rng *rng);
/* Uniform integer in [0, n), n >= 1. */
uint32_t bb_rng_bounded(bb_rng *rng, uint32_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double bb_rng_double(bb_rng *rng);
/* Standard normal deviate (Marsaglia polar method; no cached spare). */
double bb_rng_normal(bb_rng *rng);

/* --------------------------------------------------------- game state */
typedef struct bb_game {
    uint8_t queue[BB_QUEUE_MAX];           /* front (gate) first */
    uint8_t bar[BB_NUM_CARDS];             /* order of entry */
    uint8_t thats_it[BB_NUM_CARDS];        /* order of arrival */
    uint8_t hand[BB_NUM_PLAYERS][BB_HAND_MAX]; /* played card removed, later shift left; draw appended */
    uint8_t deck[BB_NUM_PLAYERS][BB_DECK_MAX]; /* remaining pile is deck[p][deck_pos[p]..7], top first */
    uint8_t queue_len;                     /* 0..5 (<= 4 between turns) */
    uint8_t bar_len;                       /* cards in the bar */
    uint8_t ti_len;                        /* cards in THAT'S IT */
    uint8_t hand_len[BB_NUM_PLAYERS];      /* 0..4 */
    uint8_t deck_pos[BB_NUM_PLAYERS];      /* 8 - cards left in the pile */
    uint8_t turn;                          /* cards played so far */
    uint8_t to_move;                       /* player whose turn it is */
    uint8_t start_player;                  /* who moved first */
    uint8_t done;                          /* 1 once the game is over */
    uint8_t early_stop;                    /* 1: stop when fewer than 5 cards remain in play */
    uint8_t history_len;                   /* == turn while the whole history is known, else 0 */
    uint8_t history[BB_NUM_CARDS];         /* action index of every card played, in order */
    bb_rng rng;                            /* per-game generator, used by bb_game_deal */
} bb_game;

/* Cells past a zone's length (queue, bar, THAT'S IT, hands, history) are
 * 0: bb_game_validate checks it, every move keeps it, and the rules rely on
 * it (a hand is searched as one word and its four cells are all read for
 * the legal actions, the queue's five cells are all read for recurring
 * animals and for what a chameleon may imitate, and the information-set
 * hash reads whole words of the bar, THAT'S IT and the history).
 *
 * The history is public: player start_player ^ (t & 1) played history[t],
 * so the queue, bar and THAT'S IT can be replayed from it (the search
 * infers the opponent's hand from their earlier choices this way).  A
 * state loaded without a history (history_len 0 < turn) keeps none. */

typedef enum bb_status {
    BB_OK = 0,
    BB_ERR_ILLEGAL = 1,   /* action index out of range or not legal now */
    BB_ERR_DONE = 2,      /* the game is already over */
    BB_ERR_INDEX = 3,     /* game index out of range (batch API) */
    BB_ERR_STATE = 4,     /* an explicit state violates the invariants */
    BB_ERR_PARAM = 5      /* a parameter is out of range (search, policies) */
} bb_status;

/* Seeds the game's RNG with `seed` and deals (bb_game_deal). */
void bb_game_reset(bb_game *g, uint64_t seed, int early_stop);
/* Deals a new game from the game's current RNG stream: player 0's 12 cards
 * are shuffled (Fisher-Yates), then player 1's; cards 0-3 are the hand,
 * 4-11 the pile, top first; then the start player is bb_rng_bounded(2). */
void bb_game_deal(bb_game *g);

/* Legal actions of the player to move.  Writes mask[BB_NUM_ACTIONS]
 * (1 legal, 0 not) and/or the ascending list of legal indices into
 * out[BB_NUM_ACTIONS]; either pointer may be NULL.  Returns the count
 * (0 when the game is over). */
int32_t bb_game_legal(const bb_game *g, uint8_t *mask, int32_t *out);
/* 1 if action a is legal for the player to move, else 0. */
int bb_game_is_legal(const bb_game *g, int32_t a);
/* 1 if the queue allows action a (it would be legal with its species in
 * hand), else 0: what an observer can say about the opponent's options. */
int bb_game_queue_allows(const bb_game *g, int32_t a);

/* Plays action a for the player to move: steps 1-5 of the turn, then the
 * turn passes and the terminal test runs. */
bb_status bb_game_step(bb_game *g, int32_t a);
/* Steps 1-4 only (no draw, no turn change, no terminal test): the one-ply
 * lookahead of the scripted agents.  It reads and writes only the queue,
 * the bar, THAT'S IT and the mover's hand. */
bb_status bb_game_play(bb_game *g, int32_t a);
/* The same without the checks, for callers whose action is known legal
 * (from bb_game_legal, or a policy's choice): the search and the scripted
 * agents' lookahead, which would otherwise check every move twice.  An
 * illegal action here is undefined behaviour. */
void bb_game_step_legal(bb_game *g, int32_t a);
void bb_game_play_legal(bb_game *g, int32_t a);

/* Species (bit s for species s) of `owner`'s animals in the queue, the bar
 * and THAT'S IT: the public record of what they have played. */
uint32_t bb_game_played_species(const bb_game *g, int32_t owner);
/* Bar points of player p. */
int32_t bb_game_score(const bb_game *g, int32_t p);
/* Bar points of both players, scores[p]. */
void bb_game_scores(const bb_game *g, int32_t scores[2]);
/* Once done: 0 or 1 for the winner, -1 for a draw.  -2 while running. */
int32_t bb_game_winner(const bb_game *g);
/* 1 if the game is over under its early_stop setting. */
int bb_game_is_terminal(const bb_game *g);
/* The one state validator (for explicit and deserialised states): zone
 * sizes, card codes, flags, history and `done`; with `full` also that the
 * state is reachable by play (each player's 12 species exactly once, hands
 * and piles holding only their owner's cards, turn == cards played,
 * players alternating from start_player, hands full while a pile lasts).
 * full = 0 is for hand-made rule scenarios only; it still bounds turn
 * + cards in hands and piles by 24, the history's room. */
bb_status bb_game_validate(const bb_game *g, int full);
/* bb_game_validate(g, 0), then the cards' accounting of the full check,
 * with a reason: each player's 12 animals exactly once (queue, bar, THAT'S
 * IT, own hand or pile), hands
 * full while a pile lasts, and (while running) the player to move holding
 * as many cards as the opponent or one more.  A state that passes plays on
 * to its end with a card for every mover and a known set of the
 * opponent's unplayed animals: what the search needs (search.h).  BB_OK,
 * or BB_ERR_STATE with *why (if not NULL) set to a static message. */
bb_status bb_game_check_cards(const bb_game *g, const char **why);

/* Printed points of a species (0 for BB_NONE). */
int32_t bb_species_points(int32_t species);

/* -------------------------------------------------------- observation
 * float32[BB_OBS_DIM] from the point of view of `player`; it hides the
 * opponent's hand and both piles' order (the own pile is a set: the
 * player knows which of their animals are still to come).  Named
 * segments (offset, size), species index = species id - 1:
 */
#define BB_OBS_QUEUE 0          /* 5 slots x 14: species one-hot (12), mine, opponent's */
#define BB_OBS_QUEUE_SLOT 14
#define BB_OBS_HAND 70          /* 12: species in my hand */
#define BB_OBS_MY_PILE 82       /* 12: species still in my pile */
#define BB_OBS_OPP_UNPLAYED 94  /* 12: opponent's species in hand or pile */
#define BB_OBS_MY_BAR 106       /* 12 */
#define BB_OBS_OPP_BAR 118      /* 12 */
#define BB_OBS_MY_TI 130        /* 12: my animals in THAT'S IT */
#define BB_OBS_OPP_TI 142       /* 12 */
#define BB_OBS_SCALARS 154      /* 8: my bar pts/36, opp bar pts/36, my hand/4,
                                   opp hand/4, my pile/8, opp pile/8, turn/24,
                                   queue length/5 */
#define BB_OBS_DIM 162

void bb_game_observe(const bb_game *g, int32_t player, float *out);

/* ------------------------------------------------------------ batches
 * A batch is a caller-owned array of bb_game.  `idx` selects k games
 * (NULL: games 0..k-1); per-selection outputs are indexed by position in
 * the selection.  None of these functions allocate.
 */

/* Resets game i with seed base_seed + i (the documented seeding rule). */
void bb_batch_reset(bb_game *games, int32_t n, uint64_t base_seed, int early_stop);

/* Steps the selected games (idx must not repeat a game: the caller checks).
 * All actions are validated first; on the first
 * illegal one nothing is stepped, *bad = its position and BB_ERR_ILLEGAL
 * (or BB_ERR_DONE / BB_ERR_INDEX) is returned.  When a game ends:
 * rewards[2j+p] = +1 / -1 / 0 (win, loss, draw) and dones[j] = 1,
 * scores[2j+p] = final bar points; otherwise rewards 0, dones 0, scores
 * current points.  With auto_reset the finished game is dealt again from
 * its own RNG stream (bb_game_deal) before returning.  Output pointers may
 * be NULL. */
bb_status bb_batch_step(bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                        const int32_t *actions, int auto_reset, float *rewards,
                        uint8_t *dones, int32_t *scores, int32_t *bad);

/* Deals game idx[j] from seeds[j] (bb_game_reset), j < k. */
bb_status bb_batch_deal(bb_game *games, int32_t n, const int32_t *idx, int32_t k, const uint64_t *seeds,
                        int early_stop);
/* Observation (obs[k][BB_OBS_DIM]) and legal mask (mask[k][BB_NUM_ACTIONS])
 * of players[j] in game idx[j] (players NULL: the player to move); either
 * buffer may be NULL.  The mask holds that player's legal moves: all zero
 * when it is not their turn or the game is over.  Without players a
 * finished game's observation is zeros; with them it is the final table
 * from that seat.  Returns BB_ERR_INDEX if idx holds an index outside
 * [0, n). */
bb_status bb_batch_observe(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                           const int32_t *players, float *obs, uint8_t *mask);

/* 64-bit hash of what the player to move knows: the public zones and
 * counts, the history, and their own hand and pile as sets.  Equal for two
 * states that differ only in cards hidden from the mover. */
uint64_t bb_game_infoset_hash(const bb_game *g);

/* ----------------------------------------------------- scripted agents
 * One-ply lookahead agents of docs/OPPONENTS.md (heuristic family,
 * online, outcome).  They read only the mover's own hand and the public
 * zones (queue, bar, THAT'S IT, counts).  Exact ties (|diff| < 1e-6) are
 * broken uniformly with `rng`, which also supplies the Gaussian noise.
 */
typedef enum bb_agent_kind {
    BB_AGENT_MATERIAL = 0, /* HeuristicAgent: M + species adjustments (+ noise) */
    BB_AGENT_ONLINE = 1,   /* OnlineStrategies: M (its own weights, default unless set) + reactions */
    BB_AGENT_OUTCOME = 2   /* OutcomeHeuristic (and distilled weights) */
} bb_agent_kind;

typedef struct bb_agent_params {
    int32_t kind;           /* bb_agent_kind */
    /* MaterialEvaluator */
    double bar_weight, queue_front_weight, queue_back_weight, thats_it_weight, hand_weight;
    double species_mult[BB_NUM_SPECIES + 1]; /* index by species id; 1.0 default */
    double noise_epsilon;   /* sigma of per-action Gaussian noise */
    /* OutcomeHeuristic weights */
    double my_bar, opp_bar, my_ti, opp_ti, queue_position, front_bonus, threat_removal,
        parrot_bonus, monkey_combo, skunk_mult, early_recurring, late_removal;
} bb_agent_params;

/* Fills defaults for a kind (heuristic defaults; outcome: OutcomeWeights()). */
void bb_agent_params_default(bb_agent_params *p, int32_t kind);
/* Score of every legal action for the player to move (scores[a], NaN where
 * illegal), without noise.  Returns the number of legal actions. */
int32_t bb_agent_scores(const bb_game *g, const bb_agent_params *p, double *scores);
/* The scripted agent's choice for the player to move (-1 if over): the
 * best score, exact ties broken uniformly with `rng` (as is the noise). */
int32_t bb_agent_choose(const bb_game *g, const bb_agent_params *p, bb_rng *rng);
/* Scores of every action whose species is in `species_mask` (bit s for
 * species s) and that the queue allows, as if that species were in the
 * mover's hand (NaN elsewhere).  For any hand H these equal the scores
 * with hand H up to one constant, so a softmax over the actions of H is
 * exact: how the search weighs the opponent's possible hands. */
void bb_agent_scores_any_hand(const bb_game *g, const bb_agent_params *p, uint32_t species_mask,
                              double *scores);

#ifdef __cplusplus
}
#endif
#endif /* BEASTY_H */
