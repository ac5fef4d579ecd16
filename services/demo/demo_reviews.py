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
    "fabric", "fabric", "fabric", "fabric", "fabric", "material", "material", "material", "cotton",
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

# Clauses that sentence templates combine ({praise}, {praise2}, {problem},
# {problem2}); they hold slots themselves, filled once per review.
PRAISES = (
    "the color is {color_pos}", "the {fabric} is {soft_adj}", "the quality is nice",
    "the pattern is so pretty", "the {part} {part_is} lovely", "{its} comfortable",
    "the design is {pos_adj}", "I love the style", "the details are pretty",
    "the {color} is a great shade", "the {fabric} feels substantial", "{it} {is} well made",
    "the embroidery is beautiful", "the print is fun", "the length is nice",
    "{it} look{s} great with {pairing}", "the buttons are a cute touch",
    "the {fabric} has a nice drape", "{it} {is} easy to wear", "the colors are rich",
    "the shape is flattering from the front", "the neckline is pretty",
    "{it} {is} soft and light", "the lace detail is lovely", "the {part} {part_is} nicely done",
)
PROBLEMS = (
    "the fit is {fit_bad} through the {body}", "{it} run{s} very large", "{it} run{s} small",
    "the arms are tight", "the {fabric} is very sheer", "{it} {is} too {fit_bad} on me",
    "the {part} {part_is} {fit_bad}", "{it} {was} huge in the {body}",
    "{it} wrinkle{s} the minute I sit down", "the {fabric} pills already",
    "the length is awkward on me", "I would need to size down", "{it} hit{s} at a strange spot",
    "the shoulders are too wide", "the armholes are cut very low", "{it} {is} much shorter than pictured",
    "there is way too much fabric in the back", "the {part} {part_is} gaping open", "the chest is too tight",
    "the hips are too snug", "the waist sits too high", "{it} {is} boxy on my {build}",
    "the {fabric} is itchy against my skin", "the color is more {dull_color} than in the photo",
    "the sleeves are too long", "the rise is too low", "{it} make{s} me look {look_bad}",
    "the seams pucker", "the lining bunches up", "the {size} was too big and the next size down too small",
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
    "{this} {g} {is} nice, but not for me.",
    "Not sure how I feel about {this} {g}.",
    "I have mixed feelings about {this} {g}.",
    "{this} {g} {is} so close to being great.",
    "{this} {g} {is} cute, but the fit was not right for me.",
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
    "Perfect for summer, whether I'm headed to {occasion} or just out for errands.",
    "{its} great for casual days with {pairing} or dressed up with heels.",
    "The colors are soft and summery.",
    "I will be wearing {obj} all {season} long.",
    "{it} fit{s} nicely and the {fabric} is so soft.",
    "Soft, comfortable, and easy to wear.",
    "I can't wait to wear {obj} this {season}.",
    "Wonderful {fabric} and a wonderful fit.",
    "Awesome {g}, and I'm very pleased with {obj}.",
    "The colors are even prettier in person.",
    "{its} great for warmer weather.",
    "{it} {is} casual but still look{s} polished.",
    "I ordered my regular size and {it} fit{s} nicely.",
    "The embroidery is so pretty and well done.",
    "{it} will look great with jeans or boots in the fall.",
    "{this} will be a staple in my wardrobe for years.",
    "{its} a fun piece that I'll wear often.",
    "Great fit, great color, great price.",
    "The fit is great and the {fabric} is soft and light.",
    "I love how soft {it} {is}, and the colors are so rich.",
    "{it} {is} comfortable enough to sleep in, but cute enough for {occasion}.",
    "I have {obj} in two colors now and wear both all the time.",
    "I love the subtle details on the {part}.",
    "{it} work{s} with jeans, leggings, or a skirt.",
    "Sometimes you find a piece that just works, and this is it.",
    "The {fabric} is soft and has a nice drape.",
    "Definitely worth the wait for the sale.",
    "I'm not usually one for {color}, but I love {obj}.",
    "{its} flattering whether I tuck {obj} in or leave {obj} out.",
    "{its} beautiful, and I think {it} will be a favorite for some time.",
    "The {fabric} does not wrinkle or pill, which is great.",
    "I think {it} would look great on any body type.",
    "Beautiful {color}, beautiful {fabric}, and it does not need ironing.",
    "If you're on the fence, go for {obj}, you will not regret it.",
    "Some pieces look better online, but {this} {g} {is} even better in person.",
    "{it} look{s} beautiful with a belt or without one.",
    "I wear {obj} with sandals in the summer or boots in the fall.",
    "I think {its} one of the best things I've bought from retailer.",
    "The {color} is beautiful and the {fabric} does not feel cheap at all.",
    "I got the {size} and there is no pulling or gaping anywhere.",
    "{its} such a classic, versatile piece.",
    "{praise}, and {praise2}.",
    "{praise}; plus, {praise2}.",
    "I love that {praise}.",
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
    "I'm {height}, {weight} lbs, and the {size} fit{s} nicely with a little room.",
    "I normally wear a {size}, got the {size}, and {it} fit{s} great.",
    "{it} run{s} a bit large, so I sized down to a {size} and {it} fit{s} perfectly.",
    "The length is great on me at {height}.",
    "{it} fit{s} well through the shoulders and arms.",
    "Plenty of room in the hips without looking baggy.",
    "The {size} fits me well, and I usually wear a {size2}.",
    "I got my usual size and it fits great.",
    "The petite fits perfectly, and the regular would have been too long.",
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
    "{it} run{s} large, so size down if you are between sizes.",
    "The arms are a little snug, but otherwise {it} fit{s} great.",
    "The only problem is that {it} wrinkle{s} a bit.",
    "If you're petite, you may need to hem {obj}.",
    "{it} {is} slightly sheer, so I wear a cami underneath.",
    "The {fabric} is a little thin, but for the price I can't complain.",
    "{praise}, and the only issue is that {caveat}.",
    "{praise}; {caveat}, but that's minor.",
    "{praise} and {praise2}, though {caveat}.",
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
    "{it} fit{s} well in the {body}, but {its} too {fit_bad} everywhere else.",
    "Overall {its} cute, but the {part} {part_is} too {fit_bad} for me.",
    "I love the {fabric}, but the fit was way off.",
    "I think {it} would work for someone with a {build}, but not for me.",
    "The color is beautiful, but I sized down and {it} {was} still too big.",
    "{its} a nice piece, but I'm not sure {its} worth the price.",
    "I really wanted {obj} to work, and it almost did.",
    "Pretty {g}, but the {fabric} is a bit see-through.",
    "The style is great, but the quality is just average.",
    "{it} {is} pretty, though not as nice as the picture.",
    "The {part} {part_is} lovely, but the length is odd on me.",
    "It's not bad, but it's not great either.",
    "The fit is fine, but the {fabric} feels scratchy.",
    "I like {obj}, I just don't love {obj}.",
    "I loved the style, but the {fabric} is very itchy.",
    "I thought {it} would be more fitted, but {it} {was} rather {fit_bad}.",
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
    "{its} nice, but I expected more for the price.",
    "I have mixed feelings, since the {fabric} is nice but the cut is {fit_bad}.",
    "{it} might work on someone taller, but I'm {height}.",
    "The quality is fine, however the fit is very {fit_bad}.",
    "Good idea, but the execution is poor.",
    "If {it} {was} a little less {fit_bad}, {it} would be perfect.",
    "The color is great, but {it} make{s} my {body} look bigger than {it} {is}.",
    "I may have to take {obj} to a tailor, which is annoying.",
    "{it} {is} cute, but I'm not sure {it} {is} me.",
    "The color is lovely, however the {part} {part_is} too {fit_bad} for me.",
    "{its} a nice {g}; however, {it} run{s} very large.",
    "However, the arms are tight and the body is huge.",
    "The problem is the {part}, which {part_is} cut too {fit_bad}.",
    "Otherwise {it} would be great, but the fit is just ok.",
    "It seems well made, but {it} {is} just ok on me.",
    "{it} seem{s} to run large, especially through the arms.",
    "If you have a {build}, {it} might work better for you than for me.",
    "Just ok for me.",
    "It's ok, but not something I would rave about.",
    "The {fabric} was softer than I expected, but the fit was too large in the hips.",
    "I ordered my usual {size} and {it} {was} large in the arms and chest.",
    "If {it} came in petite sizes I would have kept {obj}.",
    "Cute in the photo, but on me {it} look{s} a bit bulky.",
    "{its} not bad, {its} just not flattering for me.",
    "{its} pretty, however I'll be returning {obj} because the length is off.",
    "The {part} {part_is} pretty, but the arms are tight.",
    "I like the style, but the {fabric} was a little stiff.",
    "The quality seems fine, though the cut is strange on me.",
    "I'm returning {obj}, but {it} might work for someone with a {build}.",
    "Very cute, but {it} ran large and the smaller size was sold out.",
    "The design is pretty; the fit, however, is another story.",
    "I like {obj}, but I'm not sure {it} {is} worth the full price.",
    "The color is nice, but the {fabric} seems like {it} will pill.",
    "{it} {is} wearable with a cami underneath, since {it} {is} so sheer.",
    "For me the {part} {part_is} too {fit_bad}, though the rest fits well.",
    "I would have liked {obj} more if the {fabric} were softer.",
    "Too large in the shoulders and arms, but fine everywhere else.",
    "It's cute, but I had to size down and the smaller one is a little snug.",
    "The look is great; however, the {fabric} is on the thin side.",
    "I think the {fabric} is beautiful, but the cut does nothing for me.",
    "Some reviewers said {it} run{s} small, but for me {it} ran large.",
    "The {part} does not lie flat, which bothers me.",
    "{it} {is} beautiful on the hanger, however on me {it} look{s} frumpy.",
    "I wanted to keep {obj}, but I think {it} will go back.",
    "If you are tall, {it} might work; at {height} {it} {was} too long for me.",
    "The colors are great, but the size chart is off.",
    "I'm not sure if I'll keep {obj} or send {obj} back.",
    "{praise}, but {problem}.",
    "{praise}; however, {problem}.",
    "{praise}. However, {problem}.",
    "Although {praise}, {problem}.",
    "{praise}, though {problem}.",
    "I liked that {praise}, but {problem}.",
    "On the plus side, {praise}; on the downside, {problem}.",
    "The good: {praise}. The bad: {problem}.",
    "{praise}, but unfortunately {problem}.",
    "{problem}, although {praise}.",
    "{praise} and {praise2}, but {problem}.",
    "The problem is that {problem}, even though {praise}.",
    "I tried {obj} on and {it} {was} pretty, but {it} {was} too {fit_bad} in the {body}.",
    "The fabric was nice, but {it} {was} not very flattering on me.",
    "It was a nice idea, but the {part} {was} too {fit_bad}.",
    "When I tried {obj} on, {it} looked better than I expected, but not great.",
    "I wasn't sure what to think when I tried {obj} on.",
    "The fabric was soft, but {it} {was} shorter than I would like.",
    "{it} just {was}n't for me, even though {praise}.",
    "I can see {it} working for someone else, but {it} {is} not for me.",
    "Nice {g}, but the {part} {part_is} not for me.",
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
    "When {it} arrived, the {fabric} was so thin I could see my hand through it.",
    "The {fabric} was very stiff and the seams were crooked.",
    "After wearing {obj} once, there were holes along the seams.",
    "{it} looked like a maternity top on me.",
    "I looked like I was wearing a paper bag.",
    "I'm tall and {it} {was} way too short in the torso.",
    "I was so sad because I really wanted {obj} to work.",
    "The {part} {part_is} bulky and weird.",
    "{it} look{s} worn out already, as if washed a hundred times.",
    "I can't see {obj} looking good on anyone.",
    "The {fabric} felt used, with little pills already on it.",
    "I was very disappointed in the quality for the price.",
    "The sizing was strange; the {size} was huge in some spots and too small in others.",
    "The {fabric} was poor quality and the stitching was sloppy.",
    "Unfortunately {it} just didn't work on me at all.",
    "The {part} {part_is} so strange that {it} looked like a costume.",
    "The color was completely different from the photo.",
    "I returned both sizes I ordered.",
    "{it} {was} huge, and the next size down was sold out.",
    "The {fabric} was see-through and the lining was too short.",
    "There were loose threads everywhere and a small hole by the seam.",
    "The cut was very boxy and made me look like a box.",
    "I tried {obj} on and immediately took {obj} off.",
    "The arms were so tight I could barely lift them.",
    "{it} {was} way too big in the chest and the arms were huge.",
    "I ordered {obj} online, and {it} {was} going back as soon as I tried {obj} on.",
    "There was no shape to {obj} at all.",
    "{it} {was} not what I expected from retailer, and not in a good way.",
    "{it} look{s} nothing like {it} did on the model.",
    "I will not be ordering from this line again.",
    "There was no way to make {obj} look good.",
    "I could not believe how thin the {fabric} was.",
    "The {fabric} was not soft at all; {it} felt like sandpaper.",
    "No amount of steaming could fix the wrinkles.",
    "{it} {was} not flattering and the {part} {part_is} not where {it} should be.",
    "The model must be pinned into {obj}, because {it} look{s} nothing like that in real life.",
    "I was excited to get {obj}, but I sent {obj} back the same day.",
    "The return was easy, at least.",
    "I had to return {obj}; the quality was just not there.",
    "The xs was huge on me, so the return was immediate.",
    "Even though {praise}, {problem}, so {it} went back.",
    "{problem}, and on top of that {problem2}.",
    "Not only {was} {it} {fit_bad}, but {problem2}.",
    "{problem}, and {problem2}.",
    "Sure, {praise}, but {problem} and {problem2}.",
    "I loved the color online, but the {fabric} was cheap and thin.",
    "{praise}, but the fit was terrible.",
    "I had high hopes, but the quality was not there.",
    "The picture looked great, but the real thing was nothing like it.",
    "I love the idea, but the {part} {part_is} awful.",
    "It may work for some, but for me it was a total miss.",
    "The {color} is pretty, but the fit was so bad I couldn't wear {obj}.",
    "I was excited to try {obj}, but the sizing was way off.",
    "However, the {fabric} was so thin I could see through it.",
    "The color is nice; however, the fit was awful and {it} went back.",
    "I couldn't keep {obj}; the fit was awful.",
    "There's no way I'll keep {obj}.",
    "The top part was fine, but the rest was a disaster.",
    "I really wanted {obj} to be the one, but {it} {was} a big miss.",
    "{it} {was} fine in the store, but after one wash {it} shrank and twisted.",
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
    "Not cute at all.",
    "{it} {doesnt} work on any level.",
    "Very poor quality.",
    "{it} {is} not worth the return shipping, let alone the price.",
    "The fit was not good, and neither was the {fabric}.",
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
# Fit and sizing trouble told the way low ratings tell it: long, specific,
# with "but", sizes and conditionals rather than only strong words.
NEGATIVE_FIT = (
    "I ordered my usual {size}, but {it} {was} way too big in the chest and arms.",
    "I'm usually a {size}, but the {size} was huge on me and the smaller size would be too short.",
    "The fit was very odd: large in the waist but really tight in the arms.",
    "I really wanted to like {obj}, but {it} {was} too big everywhere.",
    "If you have any curves, {it} would not work for you.",
    "{it} could have been cute, but the proportions are off.",
    "I would have to size down two sizes, and even then {it} would not fit right.",
    "Maybe {it} would work on someone very tall and thin, but not on me.",
    "The {size} was too small in the {body}, but the next size up was like a tent.",
    "I really like the {color}, but the fit was so unflattering I couldn't keep {obj}.",
    "{it} {is} very short, and I'm only {height}, so I can't imagine how {it} fit{s} a taller woman.",
    "The cut is very strange, with a huge amount of fabric at the {body}.",
    "I was really looking forward to wearing {obj}, but {it} {is} too small across the back.",
    "Like other reviewers said, {it} run{s} very large; I'm a {size} and could fit two of me in {obj}.",
    "I should have listened to the reviews about the sizing.",
    "The {part} {part_is} cut so {fit_bad} that I'd need a tailor, and that's not worth it.",
    "However you style {obj}, the shape is just unflattering.",
    "{it} {was} too big, but I didn't like the look enough to exchange {obj} for a smaller size.",
    "I'm {height} and {weight} lbs and {it} {was} huge, so I would not recommend {obj} for petite women.",
    "The {fabric} would be nice, but the fit is really bad.",
)
# Positive reviews hedge, compare and mention sizing too ("I was worried
# it would be big, but ...").
POSITIVE_HEDGE = (
    "I was worried {it} would be too big, but {it} fit{s} great.",
    "{its} not see-through, which I was worried about.",
    "I wasn't sure about the color, but {it} {is} really pretty.",
    "{it} run{s} a little large, but I like the relaxed fit.",
    "I would definitely buy {obj} again.",
    "If you're between sizes, I'd size down.",
    "I could wear {obj} every day.",
    "{its} not too heavy and not too thin.",
    "I really like the fit, and the {fabric} is very soft.",
    "I ordered a {size} and {it} {was} a little big, but I kept {obj} anyway.",
    "Like other reviewers said, {it} run{s} large, so I sized down.",
    "I didn't think I would like {obj} as much as I do.",
    "{it} {was} a bit big in the {body}, but a belt fixed that.",
    "I would say {it} run{s} true to size, maybe a little big.",
    "Not the most practical piece, but I don't care, {it} {is} so pretty.",
    "The {size} was very comfortable, with room in the {body}.",
    "I like that {it} {is} not too long on me at {height}.",
    "I was on the fence, but I'm really glad I went for {obj}.",
    "I couldn't decide between two colors, so I got both.",
    "{it} {is} very flattering, and I'm not usually someone who wears this style.",
    "If {it} came in more colors, I would buy every one.",
    "I wasn't sure the {color} would work for me, but I love {obj}.",
    "The fit is very forgiving, but not shapeless.",
    "I was a little nervous about the {fabric}, but {it} {is} really nice quality.",
    "I almost sent {obj} back, but I'm so glad I didn't.",
    "{it} looked a little plain online, but {it} {is} lovely in person.",
    "I wasn't sure at first, but I didn't want to take {obj} off.",
    "{it} {was} not too long, which was a nice surprise.",
    "I like the way {it} looked with {pairing}.",
    "The fabric is not thin at all.",
    "I didn't expect much, but {it} {was} way better than I thought.",
    "I wanted something for {occasion} and {this} {was} perfect.",
    "{it} looked great on me, and I don't say that often.",
    "The fabric was softer than I expected, and not see-through.",
    "I was not expecting {obj} to fit so well.",
    "{it} {is} not the cheapest, but the fabric is worth it.",
    "My daughter liked {obj} so much that she wanted one too.",
    "I went back to the store and bought {obj} in a second color.",
    "The fit was a little loose, but that's how {it} {is} meant to look.",
    "{caveat}, but {praise}, so I don't mind.",
    "I was nervous about the size, but the {size} fits great.",
    "Not my usual style, but the {fabric} won me over.",
    "{it} {is} perfect for me.",
    "The {size} was just right for me.",
    "{it} work{s} for me because the {part} {part_is} so well cut.",
    "{its} a little long for me, but I love {obj} with heels.",
    "Not too tight, not too loose, and not see-through.",
    "I could not be happier with {obj}.",
    "Normally I avoid {fabric} like this, but this one is great.",
    "{it} {doesnt} wrinkle, and that's a big deal for me.",
    "The color was a little different than I expected, but the {color} is even nicer.",
    "I had to size down, but the smaller size is perfect for me.",
    "{its} not fancy, but {it} {is} exactly what I needed.",
    "I was not sure about the {part}, but {it} {is} my favorite detail now.",
    "The only thing for me is that {caveat}, but it's not a big deal.",
    "{caveat}; however, {praise}, so {it} stay{s}.",
    "However, the fit is so flattering that I don't mind.",
    "I'm going to keep {obj} for years.",
    "I'll keep {obj} in my rotation all {season}.",
    "The fit is fine through the shoulders and the {fabric} is lovely.",
    "I've wanted {obj} since I saw {obj} online, and {it} did not disappoint.",
    "I was surprised how well {it} fit.",
    "{it} {was} exactly as pictured.",
    "It was love at first sight.",
    "I wanted a {g} that would work for {occasion}, and {this} {is} it.",
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
    "I ordered the xs and the small to compare.",
    "I think I've bought five or six pieces from retailer this year.",
    "I ordered {obj} online since my store did not have my size.",
    "The model in the picture is probably much taller than I am.",
    "I usually wear a size small or medium, depending on the brand.",
    "My usual size in this brand is an xs or a {size}.",
    "I wasn't sure if I should order my usual size or size down.",
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
    "I'll admit {praise}.",
    "Yes, {praise}.",
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
    "{its} decent for the price, so I'm keeping {obj}.",
    "I might keep {obj} for around the house.",
    "It'll do, but I wouldn't pay full price.",
    "Might work with the right layers.",
    "Worth it on sale, not at full price.",
    "Ok for the price.",
    "I'll keep {obj}, but I won't wear {obj} often.",
    "If you're between sizes, size down.",
)
CLOSE_3_RETURN = (
    "I'm still on the fence, but {it} will probably go back.",
    "Not sure if I'll keep {obj}.",
    "I'm going to exchange for a different size.",
    "{it} {was} not right on me, so {it}'ll likely go back.",
    "Mixed feelings, leaning toward returning {obj}.",
    "Overall {its} fine, just not great.",
    "I may exchange {obj} for a smaller size.",
    "Sadly I don't think {it}'ll stay.",
    "I returned {obj} for a different size.",
    "Ended up returning {obj}, but I might try again on sale.",
    "I haven't decided yet whether to keep {obj}.",
    "Unfortunately {it}'ll probably go back.",
    "Just ok, so I'm returning {obj}.",
    "I'll return {obj} and try a smaller size.",
    "{it} went back, but it was close.",
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
    "Will be returning {obj} immediately.",
    "{it} will be going back asap.",
    "I was very disappointed and returned {obj}.",
    "Not worth the money.",
    "I expected better.",
    "Very disappointing for the price.",
    "Maybe {it} would work on someone else, but not me.",
    "Too bad, because {it} could have been cute.",
    "I'll stick with other brands from now on.",
    "Really disappointing, since I usually love this brand.",
    "I would not buy {obj} again.",
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
        "Cute but...", "Just okay", "Mixed feelings", "Not right for me",
        "Pretty but boxy", "So close", "Love the color, not the fit",
        "Wanted to love it", "Meh, not for me", "Could be better", "Runs big",
        "Runs small", "Not for my body", "On the fence",
        "Nice idea, odd fit", "Pretty {g}", "Soft {g}", "Interesting {g}", "Nice fabric",
        "Returned for a smaller size", "Sizing issues", "Pretty color, odd fit", "Casual {g}", "Almost there",
        "Not my favorite", "Runs large",
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
        (CAVEAT, 0.8), (POSITIVE_HEDGE, 1.5)),
    4: ((POSITIVE, 3.5), (FIT_GOOD, 1.2), (NEUTRAL, 1.0), (CONTEXT, 1.5), (DESCRIBE, 1.2),
        (CAVEAT, 1.5), (MIXED, 0.4), (POSITIVE_HEDGE, 2.0)),
    3: ((MIXED, 2.5), (POSITIVE, 1.3), (CAVEAT, 1.0), (NEGATIVE, 1.2), (NEUTRAL, 1.0),
        (CONTEXT, 1.5), (DESCRIBE, 1.2), (NEGATION, 0.8), (NEGATIVE_FIT, 1.0), (POSITIVE_HEDGE, 0.8)),
    2: ((NEGATIVE, 3.0), (NEGATION, 1.5), (MIXED, 1.0), (NEUTRAL, 1.0), (CONTEXT, 1.5),
        (DESCRIBE, 1.2), (NEGATIVE_STRONG, 0.4), (SARCASM, 0.3), (POSITIVE_SMALL, 0.6),
        (NEGATIVE_FIT, 2.5)),
    1: ((NEGATIVE, 3.0), (NEGATIVE_STRONG, 2.5), (NEGATION, 1.5), (SARCASM, 1.0),
        (NEUTRAL, 1.0), (CONTEXT, 1.5), (DESCRIBE, 1.2), (POSITIVE_SMALL, 0.4), (NEGATIVE_FIT, 1.0)),
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
# The real site cuts reviews at 500 characters, about 115 words.
MAX_WORDS = 115
JOIN_SHARE = 0.35

# Total sentences per review (1..6), skewed to 3-5 like the real set.
SENTENCE_COUNTS = (1, 2, 3, 4, 5, 6, 7)
SENTENCE_COUNT_SHARES = (0.03, 0.06, 0.12, 0.20, 0.24, 0.20, 0.15)
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
    praises, problems = draws.pick(PRAISES), draws.pick(PROBLEMS)
    slots.update(praise=praises.format_map(slots), praise2=draws.pick(PRAISES).format_map(slots),
                 problem=problems.format_map(slots), problem2=draws.pick(PROBLEMS).format_map(slots))
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
    """Build the review body: 1-7 sentences whose tone follows the rating.

    Body sentences beyond the first of the rating's key kind are dropped from
    the end while the review is longer than ``MAX_WORDS``.
    """
    used: set[str] = set()
    sentences: list[tuple[str, bool]] = []  # (sentence, may be dropped)
    key_seen = False
    for pool, is_body in sentence_pools(draws, rating, recommended):
        sentence = render(draws, pool, slots, used)
        if is_body and draws.chance(JOIN_SHARE):
            extra = render(draws, pool, slots, used)
            sentence = join_clauses(sentence, extra, draws.pick(JOINERS))
        if is_body and draws.chance(LEAD_IN_SHARE):
            sentence = draws.pick(LEAD_INS) + lower_first(sentence)
        is_key = is_body and pool is KEY_KIND[rating] and not key_seen
        key_seen = key_seen or is_key
        sentences.append((capitalize_first(sentence), is_body and not is_key))
    text = " ".join(cap_length(sentences))
    if len(text.split()) < MIN_WORDS:  # a lone two-word sentence is too terse
        text += " " + capitalize_first(render(draws, KEY_KIND[rating], slots, used))
    return text


def cap_length(sentences: list[tuple[str, bool]]) -> list[str]:
    """Drop droppable sentences, last first, until the words fit ``MAX_WORDS``."""
    kept = list(sentences)
    words = sum(len(sentence.split()) for sentence, _ in kept)
    for index in range(len(kept) - 1, -1, -1):
        if words <= MAX_WORDS:
            break
        sentence, droppable = kept[index]
        if droppable:
            words -= len(sentence.split())
            del kept[index]
    return [sentence for sentence, _ in kept]


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
