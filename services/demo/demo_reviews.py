"""Deterministic synthetic clothing reviews shaped like the public
"Women's E-Commerce Clothing Reviews" data set.

The frame has exactly the columns of the real set, realistic marginals, and
review text composed from original templates whose sentiment follows the
star rating, so a text model trained on it scores real reviews sensibly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

COLUMNS = (
    "Clothing ID",
    "Age",
    "Title",
    "Review Text",
    "Rating",
    "Recommended IND",
    "Positive Feedback Count",
    "Division Name",
    "Department Name",
    "Class Name",
)

# ---------------------------------------------------------------------------
# Structured columns: shares taken from the real data set.
# ---------------------------------------------------------------------------

RATINGS = (1, 2, 3, 4, 5)
RATING_SHARES = (0.035, 0.069, 0.122, 0.214, 0.560)
# Probability that the reviewer recommends the item, by rating 1..5.
RECOMMEND_BY_RATING = (0.02, 0.08, 0.41, 0.96, 0.995)

DEPARTMENTS = ("Tops", "Dresses", "Bottoms", "Intimate", "Jackets", "Trend")
DEPARTMENT_SHARES = (0.446, 0.268, 0.162, 0.075, 0.044, 0.005)

# (class, relative weight inside its department)
CLASSES_BY_DEPARTMENT: dict[str, tuple[tuple[str, float], ...]] = {
    "Tops": (("Knits", 3399), ("Blouses", 2173), ("Sweaters", 1016), ("Fine gauge", 771)),
    "Dresses": (("Dresses", 1.0),),
    "Bottoms": (("Pants", 984), ("Jeans", 800), ("Skirts", 648), ("Shorts", 236)),
    "Intimate": (
        ("Lounge", 483),
        ("Swim", 244),
        ("Sleep", 167),
        ("Intimates", 116),
        ("Legwear", 114),
    ),
    "Jackets": (("Jackets", 498), ("Outerwear", 235)),
    "Trend": (("Trend", 1.0),),
}

# Most Intimate-department items sit in the (misspelt, as in the real set)
# "Initmates" division; the rest, like every other department, are split
# between General and General Petite.
INITMATES_SHARE_OF_INTIMATE = 0.87
GENERAL_SHARE_OUTSIDE_INITMATES = 0.631

N_PRODUCTS = 600
MAX_CLOTHING_ID = 1205
ZIPF_EXPONENT = 1.1

REVIEW_MISSING_SHARE = 0.037
# Title missing among rows that do have review text (overall ~16%).
TITLE_MISSING_SHARE = 0.131

# ---------------------------------------------------------------------------
# Slot fillers.  Garments are (noun, is_plural) so pronouns and verbs agree.
# ---------------------------------------------------------------------------

GARMENTS_BY_CLASS: dict[str, tuple[tuple[str, bool], ...]] = {
    "Knits": (("top", False), ("tee", False), ("tank", False), ("knit top", False),
              ("shirt", False), ("henley", False), ("tunic", False)),
    "Blouses": (("blouse", False), ("top", False), ("shirt", False),
                ("button-down", False), ("tunic", False), ("peasant top", False)),
    "Sweaters": (("sweater", False), ("cardigan", False), ("pullover", False),
                 ("turtleneck", False), ("cable knit sweater", False)),
    "Fine gauge": (("sweater", False), ("cardigan", False), ("shell", False),
                   ("knit top", False), ("pullover", False)),
    "Dresses": (("dress", False), ("maxi dress", False), ("midi dress", False),
                ("shift dress", False), ("sundress", False), ("wrap dress", False),
                ("slip dress", False), ("swing dress", False)),
    "Pants": (("pants", True), ("trousers", True), ("joggers", True),
              ("wide leg pants", True), ("jumpsuit", False), ("cropped pants", True)),
    "Jeans": (("jeans", True), ("skinny jeans", True), ("boyfriend jeans", True),
              ("flare jeans", True), ("cropped jeans", True)),
    "Skirts": (("skirt", False), ("midi skirt", False), ("pencil skirt", False),
               ("maxi skirt", False), ("mini skirt", False)),
    "Shorts": (("shorts", True), ("denim shorts", True), ("linen shorts", True)),
    "Intimates": (("bra", False), ("bralette", False), ("slip", False),
                  ("camisole", False), ("cami", False)),
    "Lounge": (("lounge set", False), ("sweatshirt", False), ("hoodie", False),
               ("lounge pants", True), ("joggers", True)),
    "Sleep": (("pajamas", True), ("nightgown", False), ("sleep shirt", False),
              ("robe", False), ("pajama set", False)),
    "Swim": (("swimsuit", False), ("bikini", False), ("one-piece", False),
             ("swim top", False), ("bathing suit", False)),
    "Legwear": (("tights", True), ("leggings", True), ("socks", True)),
    "Jackets": (("jacket", False), ("blazer", False), ("denim jacket", False),
                ("moto jacket", False), ("vest", False)),
    "Outerwear": (("coat", False), ("parka", False), ("trench coat", False),
                  ("puffer", False), ("vest", False)),
    "Trend": (("top", False), ("dress", False), ("jacket", False), ("romper", False),
              ("piece", False)),
}

# (part, verb) so "the sleeves are" and "the neckline is" both read right.
PARTS_BY_DEPARTMENT: dict[str, tuple[tuple[str, str], ...]] = {
    "Tops": (("sleeves", "are"), ("neckline", "is"), ("hem", "is"), ("shoulders", "are"),
             ("buttons", "are"), ("back", "is"), ("armholes", "are"), ("collar", "is")),
    "Dresses": (("neckline", "is"), ("waist", "is"), ("skirt", "is"), ("bodice", "is"),
                ("straps", "are"), ("length", "is"), ("lining", "is"), ("back", "is")),
    "Bottoms": (("waistband", "is"), ("rise", "is"), ("inseam", "is"), ("pockets", "are"),
                ("hips", "are"), ("seat", "is"), ("hem", "is"), ("zipper", "is")),
    "Intimate": (("straps", "are"), ("waistband", "is"), ("band", "is"),
                 ("lace trim", "is"), ("neckline", "is"), ("leg openings", "are")),
    "Jackets": (("collar", "is"), ("zipper", "is"), ("pockets", "are"), ("sleeves", "are"),
                ("shoulders", "are"), ("lining", "is"), ("buttons", "are")),
    "Trend": (("ruffles", "are"), ("sleeves", "are"), ("neckline", "is"), ("hem", "is"),
              ("waist", "is")),
}

COLORS = (
    "black", "black", "white", "blue", "grey", "navy", "ivory", "white", "grey", "olive", "red", "blush", "coral",
    "mustard", "burgundy", "teal", "cream", "charcoal", "blue", "green", "pink",
    "rust", "lavender", "tan", "motif", "print", "floral print", "stripe",
)
FABRICS = (
    "fabric", "fabric", "fabric", "material", "material", "material", "cotton",
    "linen", "knit", "silk", "rayon", "jersey", "denim", "wool", "cashmere blend", "chiffon", "lace", "velvet", "modal",
)
# Repeats act as weights: xs, small and medium dominate real reviews.
SIZES = (
    "xs", "xs", "xs", "small", "small", "small", "medium", "medium", "large",
    "xl", "xxs", "petite", "s", "m", "0", "2", "4", "6", "8", "10", "12", "14",
    "size 4", "size 6", "small petite", "xs petite", "0p", "2p", "l", "m petite",
)
HEIGHTS = (
    "4'11", "5'0", "5'1", "5'2", "5'3", "5'4", "5'5", "5'6", "5'7", "5'8",
    "5'9", "5'10", "5'11", "6'0",
)
WEIGHTS = tuple(str(w) for w in range(100, 215, 5))
OCCASIONS = (
    "work", "the office", "a wedding", "date night", "brunch", "a baby shower",
    "church", "vacation", "a family party", "the holidays", "a graduation",
    "dinner with friends", "the beach", "running errands", "a concert",
)
BODY_PARTS = (
    "bust", "hips", "waist", "shoulders", "arms", "tummy", "midsection",
    "frame", "curves", "figure", "chest", "thighs",
)
BUILDS = (
    "curvy figure", "slim build", "athletic build", "long torso", "short torso",
    "larger bust", "pear shape", "small frame", "broad shoulders", "hourglass shape",
    "bit of a tummy", "long legs", "short legs", "small chest",
)
PAIRINGS = (
    "jeans", "leggings", "boots", "sandals", "a cardigan", "a denim jacket",
    "heels", "sneakers", "flats", "a blazer", "skinny pants", "a long necklace",
)
SEASONS = ("summer", "fall", "winter", "spring", "season", "year")
FIT_BAD = (
    "boxy", "tight", "short", "long", "big", "baggy", "snug", "wide", "low cut",
    "oversized", "shapeless", "clingy", "stiff", "loose", "small", "huge",
)
LOOK_BAD = (
    "frumpy", "pregnant", "boxy", "shapeless", "wider than I am",
    "like I was wearing a sack", "ten years older", "short and stocky",
    "like a tent", "sloppy", "matronly", "heavier than I am",
)
SOFT_ADJ = (
    "soft", "silky", "buttery soft", "cozy", "lightweight", "substantial",
    "smooth", "breathable", "drapey", "thick", "stretchy", "luxurious",
)
COLOR_POS = (
    "gorgeous", "beautiful", "stunning", "rich", "vibrant", "so pretty",
    "lovely", "true to the picture", "perfect", "even better in person",
)
DULL_COLOR = (
    "muddy", "washed out", "dull", "orange", "yellow", "brown", "drab", "faded",
    "neon", "dingy", "greyish",
)
POS_ADJ = (
    "flattering", "beautiful", "cute", "adorable", "gorgeous", "elegant",
    "stylish", "chic", "comfortable", "classic", "feminine", "versatile",
    "pretty", "lovely", "perfect",
)
CAVEAT_ISSUES = (
    "the sleeves are a bit long", "it wrinkles easily", "it is a little short",
    "the fabric is thinner than I expected", "it runs slightly large",
    "the color is more muted than pictured", "it sheds a little",
    "it is dry clean only", "the buttons feel a little flimsy",
    "it is a touch snug across the chest", "it needs a cami underneath",
    "the price is a bit high", "it shrank a little in the wash",
    "the armholes are a tad low", "the hem is uneven", "there are no pockets",
)
WISHES = (
    "it came in more colors", "it were an inch longer", "the sleeves were shorter",
    "it had pockets", "the fabric were a little thicker", "it was lined",
    "it were a little cheaper", "the waist were more defined",
    "it came in petite sizes", "the straps were adjustable",
)

# ---------------------------------------------------------------------------
# Sentence templates by kind.  Slots: {g} garment, {this} this/these,
# {is} is/are, {was} was/were, {it} it/they, {obj} it/them, {s} verb ending,
# {its} it's/they're, {doesnt} doesn't/don't, plus the filler slots above.
# ---------------------------------------------------------------------------

OPEN_5 = (
    "I absolutely love {this} {g}!",
    "{this} {g} {is} even prettier in person.",
    "What a find!",
    "Obsessed with {this} {g}.",
    "I am so happy I ordered {this} {g}.",
    "{this} {is} my new favorite {g}.",
    "Wow, {this} {g} {is} a winner.",
    "I saw {this} {g} at my local retailer and had to have {obj}.",
    "What a beautiful {g}.",
    "I can't say enough good things about {this} {g}.",
    "{this} {g} exceeded all my expectations.",
    "I had my eye on {this} {g} for weeks and I'm so glad I finally bought {obj}.",
    "Gorgeous {g}, I'm smitten.",
    "I was hesitant at first, but {this} {g} won me over.",
    "Love love love {this} {g}!",
    "I am in love with {this} {g}.",
    "{this} {g} {is} simply perfect.",
    "Such a {pos_adj} {g}!",
    "I didn't expect to love {this} {g} this much.",
    "This might be my favorite purchase of the {season}.",
)
OPEN_4 = (
    "Really cute {g}.",
    "Very pretty {g} with one small issue.",
    "I really like {this} {g}.",
    "Nice {g} for the price.",
    "Pleasantly surprised by {this} {g}.",
    "{this} {g} {is} a solid buy.",
    "Cute and comfortable {g}.",
    "I like {this} {g} a lot, with a couple of small quibbles.",
    "{this} {is} a lovely {g} overall.",
    "Pretty {g}, nearly perfect.",
    "Happy with {this} {g}, mostly.",
    "{this} {g} {is} very {pos_adj}.",
    "Good quality {g} that looks nice on.",
    "I'm glad I gave {this} {g} a chance.",
)
OPEN_3 = (
    "I had high hopes for {this} {g}.",
    "I really wanted to love {this} {g}.",
    "{this} {g} {is} just okay.",
    "Not sure how I feel about {this} {g}.",
    "I have mixed feelings about {this} {g}.",
    "{this} {g} {is} so close to being great.",
    "{this} {g} {is} cute, but not quite right.",
    "It's a pretty {g}, but I'm torn.",
    "I'm a little disappointed in {this} {g}.",
    "{this} {g} {is} fine, nothing special.",
    "Meh, {this} {g} {is} just average.",
    "I wanted {this} {g} to work so badly.",
)
OPEN_2 = (
    "I was so excited for {this} {g}, but it missed the mark.",
    "Unfortunately {this} {g} didn't work for me.",
    "Disappointing.",
    "Sadly, this was a miss.",
    "I wanted to love {this} {g}, I really did.",
    "{this} {g} looked so cute online.",
    "I'm disappointed with {this} {g}.",
    "Such a letdown.",
    "Not impressed with {this} {g}.",
    "I ordered {this} {g} with high hopes, but no.",
    "{this} {g} {is} not what I expected.",
    "I really don't like {this} {g}.",
)
OPEN_1 = (
    "What a disappointment.",
    "Awful.",
    "I'm shocked at how bad {this} {g} {is}.",
    "Do not buy {this} {g}.",
    "Huge disappointment.",
    "Wow, and not in a good way.",
    "I can't believe retailer sells {this} {g}.",
    "Terrible, terrible {g}.",
    "This is the worst thing I have ordered in years.",
    "I hated {this} {g}.",
    "Horrible.",
    "Save yourself the trouble and skip {this} {g}.",
)

POSITIVE = (
    "The {fabric} is {soft_adj} and feels so well made.",
    "The color is {color_pos} and looks great with my skin tone.",
    "It drapes beautifully and the {part} {part_is} so flattering.",
    "I get compliments every time I wear {obj}.",
    "The quality is excellent for the price.",
    "{it} look{s} much more expensive than {it} {is}.",
    "{its} comfortable enough to wear all day.",
    "I wore {obj} to {occasion} and felt amazing.",
    "The cut is so flattering on my {body}.",
    "{its} soft, breathable, and not see-through at all.",
    "The {fabric} doesn't wrinkle, which is a huge plus.",
    "{it} pair{s} so well with {pairing}.",
    "You really can't go wrong with {this} {g}.",
    "The photos don't do {obj} justice.",
    "The {color} is even richer in person.",
    "{its} easy to dress up or down.",
    "The details are lovely and so unique.",
    "The {fabric} has a nice weight without being heavy.",
    "I feel pretty and confident every time I put {obj} on.",
    "My husband said {its} his favorite thing I own.",
    "{it} washed well and kept {its_own} shape.",
    "The {part} {part_is} such a pretty detail.",
    "{its} flowy, feminine, and so {pos_adj}.",
    "Super comfy and so {pos_adj}.",
    "The {color} goes with everything in my closet.",
    "{it} hide{s} my {body} in all the right ways.",
    "Honestly {its} the most {pos_adj} {g} I own.",
    "I have already worn {obj} three times this week.",
    "Everyone at {occasion} asked where I got {obj}.",
    "The quality is outstanding and the stitching is perfect.",
    "{it} {doesnt} cling, pull, or gape anywhere.",
    "{it} move{s} beautifully when I walk.",
    "The {fabric} is not scratchy at all, even against bare skin.",
    "{its} a true wardrobe staple.",
    "I never want to take {obj} off.",
    "{it} {is} a great {g} for {occasion}.",
    "{its} so {pos_adj} and easy to style.",
    "I love the {part}, such a thoughtful touch.",
    "I think {its} the best {g} I have ever owned.",
    "I have been wearing {obj} nonstop since {it} arrived.",
    "I ordered {obj} in two colors and may get a third as well.",
    "{it} look{s} great with {pairing} too.",
    "Not too tight, not too loose, just right.",
    "There is nothing I don't like about {obj}.",
    "I love the look of the {part}.",
    "I love the way {it} hang{s} on me.",
    "I will definitely need {obj} in every color.",
    "I wore {obj} all day and was comfortable the whole time.",
    "{it} washed beautifully and still look{s} brand new.",
    "I keep reaching for {obj} over everything else in my closet.",
    "So many compliments!",
    "I was worried {it} would be too {fit_bad}, but {it} fit{s} perfectly.",
    "Not itchy at all, which is rare for me.",
    "The {color} is so {color_pos}, I want {obj} in every shade.",
    "Don't hesitate on this one.",
    "I had no idea {it} would be this {pos_adj} in person.",
    "The quality is much better than I expected from the photos.",
    "{it} make{s} me feel put together without any effort.",
    "The {part} {part_is} what sets {obj} apart.",
    "This is exactly what I was looking for.",
    "I'm so glad I took a chance on {obj}.",
    "{its} fun, unique, and a little bit sexy.",
    "I was surprised at how much cuter {it} {is} on than on the hanger.",
    "Very {pos_adj} and well made, with beautiful details.",
    "I was nervous about the sizing, but {it} fit{s} perfectly.",
    "{its} a bit pricey, but so worth it.",
    "I thought {it} might be too {fit_bad}, but {it} {is} just right.",
    "I almost didn't order {obj}, but I'm so happy I did.",
    "The {fabric} is very soft and the {color} is very {color_pos}.",
    "I am very happy with {this} purchase.",
    "{it} {is} very well made and the fit is very flattering.",
    "I've worn {obj} to work and on the weekend, and {it} work{s} for both.",
    "I loved {obj} the moment I put {obj} on.",
    "I received so many compliments the first time I wore {obj}.",
    "If you are on the fence, just get {obj}.",
    "When I tried {obj} on, I knew {it} {was} a keeper.",
    "The quality of the {fabric} is great, and {it} {is} not too heavy.",
    "I purchased {obj} in the {color} and would happily buy another color.",
    "{it} {is} my go-to for {occasion} now.",
)
FIT_GOOD = (
    "I'm {height} and {weight} lbs and the {size} fits perfectly.",
    "{it} fit{s} true to size.",
    "I ordered my usual {size} and {it} fit{s} like a glove.",
    "I'm usually a {size} and the {size} was spot on.",
    "The petite sizing is perfect for my {height} frame.",
    "The length is just right, even at {height}.",
    "{its} roomy without being boxy.",
    "True to size with a little room to move.",
    "I sized down to a {size} and {its} perfect.",
    "The {part} {part_is} just right and nothing gapes.",
    "The fit is spot on for my {build}.",
    "{it} skim{s} the body without clinging.",
    "Fits perfectly through the {body}.",
    "{it} fit{s} great, and I'm picky about fit with my {build}.",
)
NEUTRAL = (
    "I'm {height}, {weight} lbs, and usually wear a {size}.",
    "I bought {obj} in the {color}.",
    "I ordered the {size} in {color}.",
    "I tried {obj} on at my local retailer.",
    "I ordered online after seeing {obj} on a friend.",
    "For reference, I'm {height} with a {build}.",
    "I bought {obj} to wear to {occasion}.",
    "{it} {was} on sale, so I decided to give {obj} a try.",
    "I have a {build} and normally wear a {size}.",
    "I ordered both the {size} and a size up to compare.",
    "The model in the photo is wearing the {color}.",
    "I'm {height} and went with the petite.",
    "I usually wear a {size} in tops and a {size2} in bottoms.",
    "I picked {obj} up in the {color} last weekend.",
    "I wear {obj} with {pairing}.",
)
CAVEAT = (
    "My only complaint is that {caveat}.",
    "The only downside is that {caveat}.",
    "I just wish {wish}.",
    "{it} run{s} a little large, so consider sizing down.",
    "{it} run{s} a bit small, so you may want to size up.",
    "It does wrinkle easily, but a quick steam fixes it.",
    "The {fabric} is a bit thin, so I wear a cami underneath.",
    "{its} slightly see-through in bright light.",
    "{its} a little pricey, but worth it on sale.",
    "The {part} {part_is} a touch {fit_bad}, but nothing a tailor can't fix.",
    "I'd give it five stars if {wish}.",
    "Not perfect, but pretty close.",
    "The color is a bit different from the picture, but I still like it.",
    "Minus one star because {caveat}.",
    "I'm not sure how {it} will hold up after washing.",
    "The {fabric} is a little itchy at first, but it softens up.",
    "{it} {is} slightly {fit_bad} in the {body}, but still wearable.",
    "It took a while to figure out what to wear {obj} with.",
    "I did have to hem {obj}, which was a minor annoyance.",
    "It's a bit shorter than I expected, though it still works.",
    "The {part} {part_is} slightly {fit_bad}, but overall {it} work{s}.",
    "{it} {is} a little {fit_bad} on me, but I still love {obj}.",
    "I had to size down, but the {size} fits well.",
    "The {fabric} wrinkles a bit, but {its} so comfortable that I don't mind.",
    "{its} not perfect, but {its} very close.",
    "The color is a little darker than the photo, but still pretty.",
    "I was worried about the length, but {it} work{s} with {pairing}.",
    "{it} {is} a bit see-through, but a nude cami solves that.",
    "The sleeves are a bit long, but I just roll them up.",
)
MIXED = (
    "I love the color, but the fit is off.",
    "The {fabric} is {soft_adj}, but the cut is {fit_bad} on me.",
    "{its} pretty on the hanger but not so much on me.",
    "The design is cute, however the {part} {part_is} way too {fit_bad}.",
    "Great color, terrible fit.",
    "The quality seems good, but {its} just not flattering on my {body}.",
    "I like the idea of {this} {g}, but the execution is off.",
    "Lovely pattern, but the {fabric} feels a bit cheap.",
    "{its} comfortable, but {it} make{s} me look {look_bad}.",
    "I really like the {part}, but the rest of {this} {g} {is} too {fit_bad}.",
    "Cute style, but the sizing is all over the place.",
    "{it} looked much better on the model than on me.",
    "Nice enough, but not worth the full price.",
    "{its} fine for lounging at home, but I wouldn't wear {obj} out.",
    "The {color} is {color_pos}, but the {fabric} wrinkles way too easily.",
    "Good quality, just not the right shape for my {build}.",
    "The top half fits great, but the bottom half is {fit_bad}.",
    "{it} {is} soft and cozy, but {it} {is} way too {fit_bad}.",
    "The print is {color_pos}, but the fit is unflattering.",
    "I love the concept, but the {part} {part_is} just weird.",
    "{its} cute, but the {fabric} is thinner than I expected.",
    "The color is nice, but {it} {is} boxy and shapeless.",
    "Beautiful details, but I'd have to size down and they're sold out.",
    "{it} fit{s} okay in the {body}, but {its} too {fit_bad} everywhere else.",
    "Overall {its} cute, but the {part} {part_is} too {fit_bad} for me.",
    "I love the {fabric}, but the fit was way off.",
    "I think {it} would work for someone with a {build}, but not for me.",
    "The color is beautiful, but I sized down and {it} {was} still too big.",
    "{its} a nice piece, but I'm not sure {its} worth the price.",
    "I really wanted {obj} to work, and it almost did.",
    "Pretty {g}, but the {fabric} is a bit see-through.",
    "The style is great, but the quality is just average.",
    "{it} {is} okay, though not as nice as the picture.",
    "The {part} {part_is} lovely, but the length is odd on me.",
    "It's not bad, but it's not great either.",
    "The fit is fine, but the {fabric} feels scratchy.",
    "I like {obj}, I just don't love {obj}.",
    "I loved the style, but the {fabric} is very itchy.",
    "I thought {it} would be more fitted, but {it} {is} quite {fit_bad}.",
    "Lovely color and sweet design, but the {fabric} pulls and snags.",
    "There's nothing really wrong with {obj}, there's just nothing special either.",
    "The fit is a bit blah, though the {color} is nice.",
    "{it} {is} good quality, but the shape did nothing for me.",
    "I wanted to love {obj}, and parts of {obj} I do.",
    "The {part} {part_is} cute, but the {fabric} feels a bit like polyester.",
    "Not worth full price, but maybe on sale.",
    "I'd keep {obj} if the {part} weren't so {fit_bad}.",
    "{it} {is} pretty, but I had a hard time styling {obj}.",
    "I agree with the other reviewers that {it} run{s} large.",
    "Unfortunately the {part} {part_is} too {fit_bad}, although the color is lovely.",
    "{its} okay, but I expected more for the price.",
    "I have mixed feelings, since the {fabric} is nice but the cut is {fit_bad}.",
    "{it} might work on someone taller, but I'm {height}.",
    "The quality is fine, however the fit is very {fit_bad}.",
    "Good idea, but the execution is poor.",
    "If {it} {was} a little less {fit_bad}, {it} would be perfect.",
    "The color is great, but {it} make{s} my {body} look bigger than {it} {is}.",
    "I may have to take {obj} to a tailor, which is annoying.",
    "{it} {is} cute, but I'm not sure {it} {is} me.",
)
NEGATIVE = (
    "The {fabric} is thin and feels cheap.",
    "{its} way too {fit_bad} and completely unflattering.",
    "The {part} {part_is} {fit_bad} and awkward.",
    "{it} {is} not flattering on me at all.",
    "The color looked nothing like the picture, it was more {dull_color} in person.",
    "{it} pilled after one wash.",
    "I didn't love the way {it} hung on my frame.",
    "{its} much shorter than {it} look{s} in the photo.",
    "The sizing is way off; I'm normally a {size} and {it} {was} huge.",
    "The {fabric} is scratchy and itchy.",
    "{its} see-through, so you'd need a slip or cami.",
    "{it} made me look {look_bad}.",
    "The stitching was already coming loose when {it} arrived.",
    "There is so much extra fabric, {its} like a tent.",
    "The {part} {part_is} gaping no matter what I do.",
    "The quality just isn't there for the price.",
    "I wanted to love {obj}, but {it} just didn't work.",
    "Unfortunately, {it} {doesnt} look anything like the model's.",
    "Sadly, the fit was awkward in all the wrong places.",
    "{it} clung to every lump and bump.",
    "The {fabric} has a strange shine that looks cheap.",
    "The pattern is much louder in person.",
    "{it} {was} too tight in the {body} and too loose everywhere else.",
    "The {fabric} feels stiff and uncomfortable.",
    "{it} wrinkled the second I put {obj} on.",
    "The proportions are just wrong.",
    "{it} made my {body} look enormous.",
    "I couldn't even zip {obj} up.",
    "The {fabric} is so thin that you can see right through it.",
    "The seams twisted after the first wash.",
    "I had such high hopes, but {it} just looked wrong on me.",
    "I love this brand, which makes this even more disappointing.",
    "The {fabric} felt rough against my skin.",
    "I took {obj} back to the store and the sales associate agreed it looked off.",
    "{its} true to size, but the shape is just unflattering.",
    "I kept trying to make {obj} work, but no luck.",
    "I still can't believe how thin the {fabric} is.",
    "Before I even washed {obj}, a button fell off.",
    "The {fabric} started pilling the first time I wore {obj}.",
    "After one washing, {it} shrank at least a size.",
    "Normally this is my favorite brand, but not this time.",
    "I wore {obj} once and there is already a hole.",
    "The zipper broke the second time I wore {obj}.",
    "The {part} {part_is} so {fit_bad} that I couldn't move my arms.",
    "{it} looked cheap and flimsy, nothing like the photos.",
    "Way too much fabric in the {body}.",
    "{it} gave me zero support and no shape.",
    "I look like I'm drowning in {obj}.",
    "The {color} washed me out completely.",
    "{its} poorly constructed, with threads hanging everywhere.",
    "I was very disappointed when I opened the package.",
    "{it} did nothing for my figure.",
    "I'm returning {obj} because the fit is just too odd.",
    "There is no way I'd wear {obj} in public.",
    "I sized down and {it} {was} still ridiculously huge.",
    "The photo of the model is very deceptive.",
    "{it} pulled across my shoulders in a weird way.",
    "{it} didn't hang well on me at all.",
    "{it} made me look ten pounds heavier.",
    "The {fabric} snagged the first time I wore {obj}.",
    "The {part} {part_is} oddly proportioned.",
    "I wanted to like {obj}, especially because of the color, but the shape looks dumpy.",
    "The quality is not good and {it} hang{s} strangely.",
    "I could tell the minute I took {obj} out of the package {it} wouldn't work.",
    "{it} {was} extremely unflattering on my {build}.",
    "The {fabric} is very thin and cheap, not what I expect for the price.",
    "I returned {obj} the same week.",
    "{it} looked dumpy and sloppy on me.",
)
NEGATIVE_STRONG = (
    "This is hands down the worst {g} I've ever bought.",
    "Absolutely terrible quality.",
    "{it} fell apart after one wash.",
    "The {fabric} feels like a cheap plastic bag.",
    "I have never been so disappointed in a purchase.",
    "{it} looked ridiculous on me.",
    "Horrible fit, horrible fabric, horrible everything.",
    "{it} arrived with a hole and a stain.",
    "{it} {is} so poorly made the seams are crooked.",
    "Completely unwearable.",
    "I couldn't get {obj} off fast enough.",
    "{its} a disaster from top to bottom.",
    "What a waste of money.",
    "Not worth even half the price.",
    "The photos are extremely misleading.",
    "I felt like I was wearing a potato sack.",
    "Embarrassingly cheap for this price.",
    "The worst fit I have ever seen, period.",
    "{it} smelled like chemicals and bled dye all over my hands.",
    "I'm honestly angry I paid for {this} {g}.",
)
NEGATION = (
    "{its} not flattering at all.",
    "I didn't love {obj}.",
    "{it} {doesnt} fit like the picture.",
    "Not worth the price.",
    "{its} not the quality I expect from retailer.",
    "I don't think {it} will survive many washes.",
    "{it} didn't work for my body type.",
    "Not as soft as I hoped.",
    "I can't imagine who {this} {g} would look good on.",
    "Nothing about the fit was right.",
    "{it} just {is}n't for me.",
    "I didn't feel good in {obj} at all.",
    "I don't see myself ever wearing {obj}.",
    "{it} {doesnt} drape well, not even a little.",
    "I wouldn't wear {obj} out of the house.",
    "There is nothing {pos_adj} about {this} {g}.",
)
SARCASM = (
    "Great, another {g} that looks nothing like the picture.",
    "Love paying full price for something that falls apart after one wear.",
    "Perfect, if you enjoy looking like a walking tent.",
    "Sure, {its} flowy, if by flowy they mean shapeless.",
    "Wonderful, now I get to pay for return shipping.",
    "Just what I wanted, a {g} that makes me look {look_bad}.",
    "Oh good, another item that is see-through in every light.",
    "Really nice job on the quality control, retailer.",
    "Beautiful in the photo, a disaster in real life.",
    "Fantastic, if you're six feet tall and shaped like a hanger.",
    "Amazing how {it} manage{s} to be too {fit_bad} and too short at once.",
    "Thanks for the itchy, shapeless mess.",
)
# Story and description sentences shared by every rating, so that function
# words and shopping vocabulary carry no sentiment on their own.
CONTEXT = (
    "I ordered {this} {g} online and had {obj} shipped to the store.",
    "I had been looking for a {g} like this for a while.",
    "I think I found {obj} while browsing the new arrivals.",
    "I tried {obj} on in the store before buying.",
    "I bought {obj} as a little gift to myself.",
    "I got {obj} on sale with an extra discount.",
    "There were only a few left in my size.",
    "I've bought a lot of pieces from this brand over the years.",
    "I read the other reviews before ordering, which helped with sizing.",
    "I needed something for {occasion}, so I took a chance.",
    "I had seen {obj} on the website many times before ordering.",
    "As someone with a {build}, I'm always careful with this kind of cut.",
    "I wear a lot of {color}, so this seemed like an easy pick.",
    "I went back and forth on the size for a while.",
    "Like other reviewers, I was unsure about the sizing.",
    "I need pieces that work for {occasion}.",
    "I usually shop in the petite section.",
    "I saw {obj} in the catalog first.",
    "My sister has the same {g} in {color}.",
    "I ordered two sizes to be safe.",
    "I've been wanting something like this for {occasion}.",
    "The sales associate suggested I try {obj}.",
    "{it} arrived in a couple of days.",
    "I am {height} and about {weight} pounds, with a {build}.",
    "I wear a {size} in most brands here.",
    "I'm {height}, so I always check the length first.",
    "I picked {obj} up during the sale last week.",
    "I went with the {size} based on the size chart.",
)
DESCRIBE = (
    "The length hits just below the knee on me.",
    "The {fabric} has some stretch to it.",
    "{it} {is} lined, and the lining is a separate layer.",
    "The {part} {part_is} fitted, and the rest is relaxed.",
    "{it} {is} on the heavier side, more of a fall piece.",
    "The pattern is printed rather than woven.",
    "There is a side zipper and a hook at the top.",
    "The care tag says machine wash, but I'll hang {obj} to dry.",
    "The model looks much taller than me.",
    "The sleeves hit right at the wrist.",
    "The back is a bit longer than the front.",
    "{its} meant to be loose and flowy.",
    "You'll need a strapless bra with {obj}.",
    "The {color} reads more neutral in person.",
    "The {fabric} is a blend, mostly cotton.",
    "The {part} {part_is} a little different than in the photo.",
    "{it} {is} a relaxed fit through the {body}.",
    "The waist sits at the natural waist on me.",
    "The colors are a bit different on my screen.",
    "{it} {is} definitely a layering piece.",
    "The {fabric} is thicker than a typical tee.",
    "The print is smaller than it appears online.",
    "{it} {is} cut a little wider at the {body}.",
    "There is a slit on the side.",
    "The petite version is about two inches shorter.",
    "I'd call the {color} more of a {dull_color} tone.",
)
# A grudging kind word inside a negative review.
POSITIVE_SMALL = (
    "The color is pretty, I'll give {obj} that.",
    "The {fabric} itself is soft.",
    "The design is cute in theory.",
    "I do love the {color}.",
    "The {part} {part_is} the only nice part.",
    "{it} looked so pretty on the model.",
    "The idea is lovely.",
    "{its} comfortable, at least.",
)
CLOSE_5 = (
    "Highly recommend!",
    "I'm thinking about buying {obj} in another color.",
    "Run, don't walk!",
    "Worth every penny.",
    "I would buy {obj} again in a heartbeat.",
    "Grab {obj} before your size sells out.",
    "Definitely a keeper.",
    "So glad I bought {obj}.",
    "Five stars from me.",
    "I'll be living in {obj} all {season}.",
    "Can't recommend {obj} enough.",
    "Buy {obj}, you won't regret it.",
    "Absolutely love {obj}!",
    "Love {obj} so much!",
    "I couldn't be happier.",
)
CLOSE_4 = (
    "Overall, I'm happy with {obj}.",
    "Still a keeper.",
    "I'd recommend {obj}, especially on sale.",
    "Worth it if you catch {obj} on sale.",
    "Keeping {obj} despite the small flaws.",
    "Overall a nice {g}.",
    "I'd still recommend {obj}.",
    "Pretty happy with this purchase.",
    "Four stars, would buy again.",
    "Overall a good buy.",
    "I'll definitely wear {obj} a lot.",
    "Recommended, just check the sizing.",
    "Happy with {obj} overall.",
    "I'll probably order another color.",
    "Overall, a good {g} for the money.",
)
CLOSE_3_KEEP = (
    "I'll probably keep {obj} since {it} {was} on sale.",
    "Keeping {obj} for now, but {it} won't be a favorite.",
    "{its} okay for the price, so I'm keeping {obj}.",
    "I might keep {obj} for around the house.",
    "It'll do, but I wouldn't pay full price.",
    "Might work with the right layers.",
    "Worth it on sale, not at full price.",
)
CLOSE_3_RETURN = (
    "I'm still on the fence, but {it} will probably go back.",
    "Not sure if I'll keep {obj}.",
    "I'm going to exchange for a different size.",
    "{its} just okay, so {it}'ll likely go back.",
    "Mixed feelings, leaning toward returning {obj}.",
    "Overall {its} fine, just not great.",
    "I may exchange {obj} for a smaller size.",
    "Sadly I don't think {it}'ll stay.",
    "I returned {obj} for a different size.",
    "Ended up returning {obj}, but I might try again on sale.",
    "I haven't decided yet whether to keep {obj}.",
    "Unfortunately {it}'ll probably go back.",
)
CLOSE_LOW = (
    "Sadly, {its} going back.",
    "Returning {obj}.",
    "I sent {obj} back the next day.",
    "{it} went back the same day.",
    "Will be returning.",
    "Such a shame, but {its} going back.",
    "I'll be returning {obj} for a refund.",
    "Would not recommend.",
    "Back to the store {it} went.",
    "Pass on this one.",
    "Disappointed and returning.",
    "I wouldn't recommend {obj}.",
)
CLOSE_1 = (
    "Returned immediately.",
    "Save your money.",
    "Don't waste your time.",
    "Would not recommend to anyone.",
    "Avoid at all costs.",
    "Zero stars if I could.",
    "Never again.",
    "Back {it} went, with a complaint.",
    "Returned, and I won't be ordering from this line again.",
    "Do yourself a favor and skip {obj}.",
)

TITLES = {
    5: (
        "Love it", "Absolutely stunning", "My new favorite", "Perfect {g}",
        "So comfy", "Simply gorgeous", "A must have", "Buy it now",
        "Wardrobe staple", "Worth every penny", "Beautiful and flattering",
        "Compliment magnet", "Love this {g}", "Best purchase this year",
        "Fits like a dream", "So pretty", "Pure perfection", "Love love love",
        "Great {g}", "Gorgeous {color}", "Flattering and comfortable",
    ),
    4: (
        "Really cute", "Pretty {g}", "Nice but runs large", "Almost perfect",
        "Cute and comfy", "Great basic", "Lovely, size down", "Good buy",
        "Very nice {g}", "Sweet {g}", "Nice, with small flaws", "Pretty and soft",
        "Cute, a bit short", "Great on sale", "Very pretty",
    ),
    3: (
        "Cute but...", "Just okay", "Mixed feelings", "Not quite right",
        "Pretty but boxy", "So close", "Love the color, not the fit",
        "Wanted to love it", "Meh, just okay", "Could be better", "Runs big",
        "Cute but runs small", "Not for my body", "On the fence",
        "Nice idea, odd fit",
    ),
    2: (
        "So disappointed", "Not for me", "Very unflattering", "Wanted to love it",
        "Sadly returned", "Poor quality", "Runs huge", "Not as pictured",
        "Cheap fabric", "Unfortunately returned", "Not flattering", "Big miss",
        "Such a letdown", "Way too {fit_bad}",
    ),
    1: (
        "Just awful", "Terrible quality", "Do not buy", "Returned immediately",
        "Waste of money", "Horrible fit", "Very disappointed",
        "Nothing like the picture", "Worst purchase ever", "Cheap and ugly",
        "Total disaster", "Avoid this {g}",
    ),
}
# Positive-worded titles over a negative body: a deliberate hard case.
MISLEADING_TITLES = (
    "So pretty online", "Beautiful color", "Cute design", "Looked lovely",
    "Great concept", "Love the color", "Such a cute {g}", "Gorgeous photos",
)
MISLEADING_TITLE_SHARE = 0.08

# Body sentence kinds with relative weights, per rating.
BODY_WEIGHTS: dict[int, tuple[tuple[tuple[str, ...], float], ...]] = {
    5: ((POSITIVE, 5.0), (FIT_GOOD, 2.0), (NEUTRAL, 1.0), (CONTEXT, 1.5), (DESCRIBE, 1.2),
        (CAVEAT, 0.8)),
    4: ((POSITIVE, 3.5), (FIT_GOOD, 1.2), (NEUTRAL, 1.0), (CONTEXT, 1.5), (DESCRIBE, 1.2),
        (CAVEAT, 1.5), (MIXED, 0.4)),
    3: ((MIXED, 3.0), (POSITIVE, 1.3), (CAVEAT, 1.0), (NEGATIVE, 1.5), (NEUTRAL, 1.0),
        (CONTEXT, 1.5), (DESCRIBE, 1.2), (NEGATION, 1.0)),
    2: ((NEGATIVE, 4.0), (NEGATION, 2.0), (MIXED, 1.0), (NEUTRAL, 1.0), (CONTEXT, 1.5),
        (DESCRIBE, 1.2), (NEGATIVE_STRONG, 0.4), (SARCASM, 0.3), (POSITIVE_SMALL, 0.6)),
    1: ((NEGATIVE, 3.0), (NEGATIVE_STRONG, 2.5), (NEGATION, 1.5), (SARCASM, 1.0),
        (NEUTRAL, 1.0), (CONTEXT, 1.5), (DESCRIBE, 1.2), (POSITIVE_SMALL, 0.4)),
}
# The sentence a rating must contain, so the sentiment is never washed out.
KEY_KIND = {5: POSITIVE, 4: CAVEAT, 3: MIXED, 2: NEGATIVE, 1: NEGATIVE_STRONG}
OPENERS = {5: OPEN_5, 4: OPEN_4, 3: OPEN_3, 2: OPEN_2, 1: OPEN_1}
CLOSERS = {5: CLOSE_5, 4: CLOSE_4, 2: CLOSE_LOW, 1: CLOSE_1 + CLOSE_LOW}

# Openings that real reviewers sprinkle everywhere; shared by all ratings so
# they carry no sentiment.
LEAD_INS = (
    "Also, ", "I have to say, ", "Honestly, ", "To be honest, ", "And ", "Plus, ",
    "In my opinion, ", "Just so you know, ", "For what it's worth, ", "Then again, ",
    "As far as I can tell, ", "Oh, and ", "Also ", "Additionally, ", "Now, ",
)
JOINERS = (", and ", "; ", ", plus ", ", and also ", " - ", ", and honestly ")
LEAD_IN_SHARE = 0.22
TONE_SHIFT_SHARE = 0.1
MIN_WORDS = 10
JOIN_SHARE = 0.35

# Total sentences per review (1..6), skewed to 3-5 like the real set.
SENTENCE_COUNTS = (1, 2, 3, 4, 5, 6)
SENTENCE_COUNT_SHARES = (0.04, 0.08, 0.16, 0.24, 0.26, 0.22)
OPENER_SHARE = 0.7
CLOSER_SHARE = 0.75
DRAWS_PER_ROW = 96


T = TypeVar("T")


class RowDraws:
    """Consumes one row's pre-drawn uniforms; keeps every row independent."""

    def __init__(self, uniforms: list[float]) -> None:
        self.uniforms = uniforms
        self.position = 0

    def next(self) -> float:
        """Return the next uniform, folding back deterministically if exhausted."""
        value = self.uniforms[self.position % len(self.uniforms)]
        lap = self.position // len(self.uniforms)
        self.position += 1
        # A fresh lap rescales the same numbers so they are not simply repeated.
        return (value * (1 + 2 * lap)) % 1.0 if lap else value

    def pick(self, options: Sequence[str]) -> str:
        """Choose one option uniformly."""
        return options[int(self.next() * len(options))]

    def chance(self, share: float) -> bool:
        """Return True with probability share."""
        return self.next() < share

    def weighted(self, options: Sequence[T], weights: Sequence[float]) -> T:
        """Choose one option with the given relative weights."""
        target = self.next() * sum(weights)
        for option, weight in zip(options, weights, strict=True):
            target -= weight
            if target < 0:
                return option
        return options[-1]


# ---------------------------------------------------------------------------
# Text composition
# ---------------------------------------------------------------------------


def pronoun_slots(plural: bool) -> dict[str, str]:
    """Pronoun and verb forms that agree with a singular or plural garment."""
    if plural:
        return {"this": "these", "is": "are", "was": "were", "it": "they",
                "obj": "them", "s": "", "its": "they're", "its_own": "their",
                "doesnt": "don't"}
    return {"this": "this", "is": "is", "was": "was", "it": "it", "obj": "it",
            "s": "s", "its": "it's", "its_own": "its", "doesnt": "doesn't"}


PRONOUNS = {False: pronoun_slots(False), True: pronoun_slots(True)}


def row_slots(draws: RowDraws, class_name: str, department: str) -> dict[str, str]:
    """Fill every template slot once for a review, so details stay consistent."""
    garments = GARMENTS_BY_CLASS[class_name]
    garment, plural = garments[int(draws.next() * len(garments))]
    parts = PARTS_BY_DEPARTMENT[department]
    part, part_is = parts[int(draws.next() * len(parts))]
    slots = dict(PRONOUNS[plural])
    slots.update(
        g=garment, part=part, part_is=part_is, color=draws.pick(COLORS),
        fabric=draws.pick(FABRICS), size=draws.pick(SIZES), size2=draws.pick(SIZES),
        height=draws.pick(HEIGHTS), weight=draws.pick(WEIGHTS),
        occasion=draws.pick(OCCASIONS), body=draws.pick(BODY_PARTS),
        build=draws.pick(BUILDS), pairing=draws.pick(PAIRINGS),
        season=draws.pick(SEASONS), fit_bad=draws.pick(FIT_BAD),
        look_bad=draws.pick(LOOK_BAD), soft_adj=draws.pick(SOFT_ADJ),
        color_pos=draws.pick(COLOR_POS), dull_color=draws.pick(DULL_COLOR),
        pos_adj=draws.pick(POS_ADJ), caveat=draws.pick(CAVEAT_ISSUES),
        wish=draws.pick(WISHES),
    )
    return slots


def closer_pool(rating: int, recommended: int) -> tuple[str, ...]:
    """Closing lines; a 3-star review ends according to whether it is recommended."""
    if rating == 3:
        return CLOSE_3_KEEP if recommended else CLOSE_3_RETURN
    return CLOSERS[rating]


def tone_of(draws: RowDraws, rating: int) -> int:
    """Body tone: usually the rating, sometimes a neighbour, as real stars are noisy."""
    if draws.chance(TONE_SHIFT_SHARE):
        return min(5, max(1, rating + (1 if draws.chance(0.5) else -1)))
    return rating


def sentence_pools(draws: RowDraws, rating: int,
                   recommended: int) -> list[tuple[tuple[str, ...], bool]]:
    """Pick the template pool of each sentence, flagging body (non-frame) ones."""
    count = draws.weighted(SENTENCE_COUNTS, SENTENCE_COUNT_SHARES)
    if count == 1:
        return [(KEY_KIND[rating], True)]
    pools: list[tuple[tuple[str, ...], bool]] = []
    if draws.chance(OPENER_SHARE):
        pools.append((OPENERS[rating], False))
    closer = closer_pool(rating, recommended) if draws.chance(CLOSER_SHARE) else None
    body_size = max(1, count - len(pools) - (closer is not None))
    mix = BODY_WEIGHTS[tone_of(draws, rating)]
    kinds = [kind for kind, _ in mix]
    weights = [weight for _, weight in mix]
    body = [KEY_KIND[rating]]
    body += [draws.weighted(kinds, weights) for _ in range(body_size - 1)]
    # Move the key sentence to a random place so it is not always first.
    body.insert(int(draws.next() * len(body)), body.pop(0))
    pools.extend((pool, True) for pool in body)
    if closer is not None:
        pools.append((closer, False))
    return pools


def capitalize_first(sentence: str) -> str:
    """Upper-case the first letter only (str.capitalize would lower the rest)."""
    return sentence[:1].upper() + sentence[1:]


def lower_first(sentence: str) -> str:
    """Lower-case the first letter unless it is the pronoun I."""
    if sentence[:2] in ("I ", "I'"):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def join_clauses(first: str, second: str, joiner: str) -> str:
    """Merge two sentences into one longer one, as real reviewers run on."""
    return first.rstrip(".!") + joiner + lower_first(second)


def render(draws: RowDraws, pool: tuple[str, ...], slots: dict[str, str],
           used: set[str]) -> str:
    """Fill one template from pool, avoiding repeats within a review."""
    template = draws.pick(pool)
    if template in used:
        template = draws.pick(pool)
    used.add(template)
    return template.format_map(slots)


def compose_review(draws: RowDraws, slots: dict[str, str], rating: int,
                   recommended: int) -> str:
    """Build the review body: 1-6 sentences whose tone follows the rating."""
    used: set[str] = set()
    sentences = []
    for pool, is_body in sentence_pools(draws, rating, recommended):
        sentence = render(draws, pool, slots, used)
        if is_body and draws.chance(JOIN_SHARE):
            extra = render(draws, pool, slots, used)
            sentence = join_clauses(sentence, extra, draws.pick(JOINERS))
        if is_body and draws.chance(LEAD_IN_SHARE):
            sentence = draws.pick(LEAD_INS) + lower_first(sentence)
        sentences.append(capitalize_first(sentence))
    text = " ".join(sentences)
    if len(text.split()) < MIN_WORDS:  # a lone two-word sentence is too terse
        text += " " + capitalize_first(render(draws, KEY_KIND[rating], slots, used))
    return text


def compose_title(draws: RowDraws, slots: dict[str, str], rating: int) -> str:
    """A short title; a few low ratings get a misleadingly upbeat one."""
    pool = TITLES[rating]
    if rating <= 2 and draws.chance(MISLEADING_TITLE_SHARE):
        pool = MISLEADING_TITLES
    return capitalize_first(draws.pick(pool).format_map(slots))


def compose_texts(
    rng: np.random.Generator, classes: np.ndarray, departments: np.ndarray,
    ratings: np.ndarray, recommended: np.ndarray,
) -> tuple[list[str], list[str]]:
    """Titles and review texts for every row, from one block of uniforms."""
    uniforms = rng.random((len(ratings), DRAWS_PER_ROW)).tolist()
    titles, reviews = [], []
    rows = zip(uniforms, classes.tolist(), departments.tolist(), ratings.tolist(),
               recommended.tolist(), strict=True)
    for row_uniforms, class_name, department, rating, rec in rows:
        draws = RowDraws(row_uniforms)
        slots = row_slots(draws, class_name, department)
        reviews.append(compose_review(draws, slots, rating, rec))
        titles.append(compose_title(draws, slots, rating))
    return titles, reviews


# ---------------------------------------------------------------------------
# Structured columns
# ---------------------------------------------------------------------------


def draw_departments_and_classes(
    rng: np.random.Generator, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Department by its share, then a class consistent with that department."""
    departments = rng.choice(np.array(DEPARTMENTS, dtype=object), size=n_rows,
                             p=DEPARTMENT_SHARES)
    classes = np.empty(n_rows, dtype=object)
    for department in DEPARTMENTS:  # fixed order keeps the draws reproducible
        mask = departments == department
        names = [name for name, _ in CLASSES_BY_DEPARTMENT[department]]
        weights = [weight for _, weight in CLASSES_BY_DEPARTMENT[department]]
        probs = np.array(weights, dtype=float) / sum(weights)
        classes[mask] = rng.choice(np.array(names, dtype=object), size=int(mask.sum()),
                                   p=probs)
    return departments, classes


def draw_divisions(rng: np.random.Generator, departments: np.ndarray) -> np.ndarray:
    """Initmates only ever holds Intimate items; the rest are General or Petite."""
    roll = rng.random(len(departments))
    general = rng.random(len(departments)) < GENERAL_SHARE_OUTSIDE_INITMATES
    divisions = np.where(general, "General", "General Petite").astype(object)
    initmates = (departments == "Intimate") & (roll < INITMATES_SHARE_OF_INTIMATE)
    divisions[initmates] = "Initmates"
    return divisions


def draw_clothing_ids(rng: np.random.Generator, classes: np.ndarray) -> np.ndarray:
    """Products tied to one class each, with Zipf-like popularity inside it."""
    all_classes = [name for pairs in CLASSES_BY_DEPARTMENT.values() for name, _ in pairs]
    counts = pd.Series(classes).value_counts()
    ids_pool = rng.permutation(np.arange(1, MAX_CLOTHING_ID + 1))
    clothing_ids = np.zeros(len(classes), dtype=np.int64)
    start = 0
    for class_name in all_classes:
        n_class = int(counts.get(class_name, 0))
        n_products = max(2, round(N_PRODUCTS * n_class / max(len(classes), 1)))
        products = ids_pool[start:start + n_products]
        start += n_products
        popularity = 1.0 / np.arange(1, n_products + 1) ** ZIPF_EXPONENT
        mask = classes == class_name
        clothing_ids[mask] = rng.choice(products, size=n_class,
                                        p=popularity / popularity.sum())
    return clothing_ids


def draw_ages(rng: np.random.Generator, n_rows: int) -> np.ndarray:
    """Right-skewed ages: median about 41, mostly 25-65, clipped to 18-99."""
    ages = 18 + rng.gamma(shape=4.3, scale=5.8, size=n_rows)
    return np.clip(np.rint(ages), 18, 99).astype(np.int64)


def draw_feedback(rng: np.random.Generator, ratings: np.ndarray) -> np.ndarray:
    """Heavily skewed helpful-votes count; critical reviews collect a few more."""
    mean = np.where(ratings <= 3, 3.2, 2.4)
    dispersion = 0.5
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    # A rare viral review, as in the real set's long tail.
    viral = rng.random(len(ratings)) < 0.004
    counts = counts + viral * rng.integers(30, 120, size=len(ratings))
    return counts.astype(np.int64)


def blank_out(rng: np.random.Generator, titles: list[str],
              reviews: list[str]) -> tuple[list[str | None], list[str | None]]:
    """Drop some text: a missing review always has a missing title too."""
    n_rows = len(reviews)
    no_review = rng.random(n_rows) < REVIEW_MISSING_SHARE
    no_title = no_review | (rng.random(n_rows) < TITLE_MISSING_SHARE)
    out_titles = [None if gone else text for gone, text in zip(no_title.tolist(), titles, strict=True)]
    out_reviews = [None if gone else text for gone, text in zip(no_review.tolist(), reviews, strict=True)]
    return out_titles, out_reviews


def generate_reviews(n_rows: int = 20_000, seed: int = 42) -> pd.DataFrame:
    """Synthetic reviews with the real data set's columns, dtypes and marginals.

    The same seed always yields an identical frame.
    """
    rng = np.random.default_rng(seed)
    departments, classes = draw_departments_and_classes(rng, n_rows)
    divisions = draw_divisions(rng, departments)
    clothing_ids = draw_clothing_ids(rng, classes)
    ratings = rng.choice(np.array(RATINGS, dtype=np.int64), size=n_rows, p=RATING_SHARES)
    recommend_p = np.array(RECOMMEND_BY_RATING)[ratings - 1]
    recommended = (rng.random(n_rows) < recommend_p).astype(np.int64)
    ages = draw_ages(rng, n_rows)
    feedback = draw_feedback(rng, ratings)
    titles, reviews = compose_texts(rng, classes, departments, ratings, recommended)
    out_titles, out_reviews = blank_out(rng, titles, reviews)
    frame = pd.DataFrame({
        "Clothing ID": clothing_ids, "Age": ages,
        "Title": pd.Series(out_titles, dtype=object),
        "Review Text": pd.Series(out_reviews, dtype=object),
        "Rating": ratings.astype(np.int64), "Recommended IND": recommended,
        "Positive Feedback Count": feedback, "Division Name": divisions,
        "Department Name": departments, "Class Name": classes,
    })
    return frame.loc[:, list(COLUMNS)]
