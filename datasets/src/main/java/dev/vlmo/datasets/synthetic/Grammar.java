package dev.vlmo.datasets.synthetic;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The text grammar of the synthetic world: captions, questions and pair statements. The grammar is
 * written out in {@code datasets/README.md}; every sentence is a function of the scene and a seeded
 * random stream.
 */
final class Grammar {
    static final String[] NUMBER_WORDS = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
    };
    private static final String[] SIDES = {"left", "right", "top", "bottom"};

    private Grammar() {}

    // ---------------------------------------------------------------- captions

    /** Returns up to {@code n} distinct captions of a scene. */
    static List<String> captions(Scene s, SplittableRandom rng, int n) {
        Set<String> out = new LinkedHashSet<>();
        for (int attempt = 0; attempt < n * 20 && out.size() < n; attempt++) {
            out.add(caption(s, rng));
        }
        return new ArrayList<>(out);
    }

    /** Returns one caption of a scene. */
    static String caption(Scene s, SplittableRandom rng) {
        List<SceneObject> objs = shuffled(s.objects(), rng);
        int k = objs.size();
        int template = rng.nextInt(k >= 2 ? 6 : 4);
        String text =
                switch (template) {
                    case 0 -> list(objs, rng, 0.6, 0.85);
                    case 1 ->
                            k == 1
                                    ? "there is " + object(objs.get(0), rng, 0.6, 0.85)
                                    : "there are "
                                            + number(k)
                                            + " "
                                            + noun(rng)
                                            + ": "
                                            + list(objs, rng, 0.6, 0.85);
                    case 2 ->
                            pick(
                                            rng,
                                            "a picture of ",
                                            "an image showing ",
                                            "an image with ",
                                            "a dark background with ")
                                    + list(objs, rng, 0.6, 0.85);
                    case 3 ->
                            number(k)
                                    + " "
                                    + (k == 1 ? singularNoun(rng) : noun(rng))
                                    + ": "
                                    + list(objs, rng, 0.6, 0.85);
                    case 4 -> relation(objs, rng);
                    default -> theIs(objs, rng);
                };
        return decorate(text, rng);
    }

    private static String relation(List<SceneObject> objs, SplittableRandom rng) {
        SceneObject a = objs.get(0);
        SceneObject b = objs.get(1);
        StringBuilder sb = new StringBuilder();
        sb.append(object(a, rng, 0.5, 0)).append(' ').append(relationWords(a, b, rng));
        sb.append(' ').append(object(b, rng, 0.5, 0));
        for (int i = 2; i < objs.size(); i++) {
            sb.append(" and ").append(object(objs.get(i), rng, 0.5, 0.8));
        }
        return sb.toString();
    }

    private static String relationWords(SceneObject a, SceneObject b, SplittableRandom rng) {
        boolean horizontal = a.cell().col() != b.cell().col();
        boolean vertical = a.cell().row() != b.cell().row();
        if (horizontal && vertical) {
            horizontal = rng.nextBoolean();
        }
        if (horizontal) {
            return a.cell().col() < b.cell().col()
                    ? pick(rng, "to the left of", "left of")
                    : pick(rng, "to the right of", "right of");
        }
        return a.cell().row() < b.cell().row() ? "above" : "below";
    }

    private static String theIs(List<SceneObject> objs, SplittableRandom rng) {
        List<String> parts = new ArrayList<>();
        for (SceneObject o : objs) {
            String size = rng.nextDouble() < 0.4 ? o.size().word() + " " : "";
            parts.add(
                    "the "
                            + size
                            + o.colour().word()
                            + " "
                            + o.shape().word()
                            + " is "
                            + location(o.cell(), rng));
        }
        return join(parts, rng);
    }

    private static String list(
            List<SceneObject> objs, SplittableRandom rng, double sizeP, double locP) {
        List<String> parts = new ArrayList<>();
        for (SceneObject o : objs) {
            parts.add(object(o, rng, sizeP, locP));
        }
        return join(parts, rng);
    }

    private static String join(List<String> parts, SplittableRandom rng) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        String sep = rng.nextDouble() < 0.3 ? "; " : ", ";
        String last = rng.nextDouble() < 0.5 ? " and " : ", and ";
        if (parts.size() == 2) {
            last = " and ";
        }
        return String.join(sep, parts.subList(0, parts.size() - 1))
                + last
                + parts.get(parts.size() - 1);
    }

    /** Returns "a [size] colour shape [location]". */
    static String object(SceneObject o, SplittableRandom rng, double sizeP, double locP) {
        String adjectives =
                (rng.nextDouble() < sizeP ? o.size().word() + " " : "") + o.colour().word();
        String phrase = article(adjectives) + " " + adjectives + " " + o.shape().word();
        if (rng.nextDouble() < locP) {
            phrase += " " + location(o.cell(), rng);
        }
        return phrase;
    }

    /** Returns a location phrase for a cell, e.g. "in the top left corner" or "on the left". */
    static String location(Cell c, SplittableRandom rng) {
        String w = c.words();
        if (c.isCorner()) {
            return pick(rng, "in the " + w, "in the " + w + " corner", "at the " + w);
        }
        return switch (c) {
            case TOP, BOTTOM ->
                    pick(rng, "at the " + w, "near the " + w, "in the " + w + " middle");
            case LEFT, RIGHT -> pick(rng, "on the " + w, "on the " + w + " side", "at the " + w);
            default -> pick(rng, "in the center", "in the middle");
        };
    }

    private static String decorate(String text, SplittableRandom rng) {
        if (rng.nextDouble() < 0.3) {
            text = Character.toUpperCase(text.charAt(0)) + text.substring(1);
        }
        if (rng.nextDouble() < 0.3) {
            text += ".";
        }
        return text;
    }

    // ---------------------------------------------------------------- questions

    /** Returns up to {@code n} distinct questions about a scene with their answers. */
    static List<SyntheticQuestion> questions(Scene s, SplittableRandom rng, int n) {
        List<SyntheticQuestion> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        QuestionType[] types = QuestionType.values();
        for (int attempt = 0; attempt < n * 30 && out.size() < n; attempt++) {
            SyntheticQuestion q = question(s, types[rng.nextInt(types.length)], rng);
            if (q != null && seen.add(q.question())) {
                out.add(q);
            }
        }
        return out;
    }

    /** Returns a question of the given type, or {@code null} when the scene does not allow it. */
    static SyntheticQuestion question(Scene s, QuestionType type, SplittableRandom rng) {
        return switch (type) {
            case COLOR -> {
                SceneObject o = pick(rng, s.objects(), x -> s.count(x.shape()) == 1);
                yield o == null
                        ? null
                        : new SyntheticQuestion(
                                String.format(
                                        pick(
                                                rng,
                                                "what color is the %s?",
                                                "what is the color of the %s?",
                                                "which color does the %s have?"),
                                        o.shape().word()),
                                o.colour().word(),
                                type);
            }
            case SHAPE -> {
                SceneObject o = pick(rng, s.objects(), x -> s.count(x.colour()) == 1);
                yield o == null
                        ? null
                        : new SyntheticQuestion(
                                String.format(
                                        pick(
                                                rng,
                                                "what shape is the %s object?",
                                                "what is the shape of the %s object?",
                                                "which shape is %s?"),
                                        o.colour().word()),
                                o.shape().word(),
                                type);
            }
            case COUNT -> countQuestion(s, rng);
            case POSITION -> {
                SceneObject o = pick(rng, s.objects(), x -> s.count(x.colour(), x.shape()) == 1);
                yield o == null
                        ? null
                        : new SyntheticQuestion(
                                String.format(
                                        pick(
                                                rng,
                                                "where is the %s %s?",
                                                "in which part of the image is the %s %s?"),
                                        o.colour().word(),
                                        o.shape().word()),
                                o.cell().words(),
                                type);
            }
            case YES_NO -> yesNoQuestion(s, rng);
        };
    }

    private static SyntheticQuestion countQuestion(Scene s, SplittableRandom rng) {
        QuestionType t = QuestionType.COUNT;
        switch (rng.nextInt(3)) {
            case 0 -> {
                Shape sh = pick(rng, Shape.values());
                return new SyntheticQuestion(
                        String.format(
                                pick(rng, "how many %s are there?", "how many %s can you see?"),
                                sh.plural()),
                        Integer.toString(s.count(sh)),
                        t);
            }
            case 1 -> {
                Colour c = pick(rng, Colour.values());
                return new SyntheticQuestion(
                        String.format(
                                pick(
                                        rng,
                                        "how many %s objects are there?",
                                        "how many %s shapes are in the image?"),
                                c.word()),
                        Integer.toString(s.count(c)),
                        t);
            }
            default -> {
                return new SyntheticQuestion(
                        pick(
                                rng,
                                "how many shapes are there?",
                                "how many objects are in the image?",
                                "how many things are in the picture?"),
                        Integer.toString(s.count()),
                        t);
            }
        }
    }

    private static SyntheticQuestion yesNoQuestion(Scene s, SplittableRandom rng) {
        boolean want = rng.nextBoolean();
        String answer = want ? "yes" : "no";
        QuestionType t = QuestionType.YES_NO;
        switch (rng.nextInt(3)) {
            case 0 -> {
                Colour c;
                Shape sh;
                if (want) {
                    SceneObject o = s.objects().get(rng.nextInt(s.count()));
                    c = o.colour();
                    sh = o.shape();
                } else {
                    c = pick(rng, Colour.values());
                    sh = pick(rng, Shape.values());
                    if (s.count(c, sh) > 0) {
                        return null;
                    }
                }
                String adj = c.word();
                return new SyntheticQuestion(
                        String.format(
                                pick(rng, "is there %s %s %s?", "does the image contain %s %s %s?"),
                                article(adj),
                                adj,
                                sh.word()),
                        answer,
                        t);
            }
            case 1 -> {
                SceneObject o = pick(rng, s.objects(), x -> s.count(x.colour(), x.shape()) == 1);
                if (o == null) {
                    return null;
                }
                List<String> sides = new ArrayList<>();
                for (String side : SIDES) {
                    if (onSide(o.cell(), side) == want) {
                        sides.add(side);
                    }
                }
                if (sides.isEmpty()) {
                    return null;
                }
                return new SyntheticQuestion(
                        String.format(
                                pick(rng, "is the %s %s on the %s?", "is the %s %s at the %s?"),
                                o.colour().word(),
                                o.shape().word(),
                                sides.get(rng.nextInt(sides.size()))),
                        answer,
                        t);
            }
            default -> {
                int n = s.count();
                if (!want) {
                    n = 1 + rng.nextInt(4);
                    if (n == s.count()) {
                        return null;
                    }
                }
                return new SyntheticQuestion(
                        String.format(
                                pick(rng, "are there %s shapes?", "are there exactly %s objects?"),
                                n == 1 ? "one" : number(n)),
                        answer,
                        t);
            }
        }
    }

    static boolean onSide(Cell c, String side) {
        return switch (side) {
            case "left" -> c.col() == 0;
            case "right" -> c.col() == 2;
            case "top" -> c.row() == 0;
            default -> c.row() == 2;
        };
    }

    // ---------------------------------------------------------------- pair statements

    /**
     * Returns a statement about a pair of scenes whose label is {@code want} when the templates
     * allow it (they almost always do).
     */
    static SyntheticStatement statement(
            Scene left, Scene right, SplittableRandom rng, boolean want) {
        SyntheticStatement last = null;
        for (int attempt = 0; attempt < 200; attempt++) {
            last = candidateStatement(left, right, rng);
            if (last.label() == want) {
                return last;
            }
        }
        return last;
    }

    private static SyntheticStatement candidateStatement(
            Scene left, Scene right, SplittableRandom rng) {
        Colour c;
        Shape sh;
        if (rng.nextDouble() < 0.6) {
            Scene from = rng.nextBoolean() ? left : right;
            SceneObject o = from.objects().get(rng.nextInt(from.count()));
            c = o.colour();
            sh = o.shape();
        } else {
            c = pick(rng, Colour.values());
            sh = pick(rng, Shape.values());
        }
        String cs = c.word() + " " + sh.word();
        String aCs = article(c.word()) + " " + cs;
        switch (rng.nextInt(6)) {
            case 0 -> {
                boolean isLeft = rng.nextBoolean();
                String side = isLeft ? "left" : "right";
                Scene sc = isLeft ? left : right;
                String text =
                        switch (rng.nextInt(3)) {
                            case 0 -> "the " + side + " image contains " + aCs;
                            case 1 -> "there is " + aCs + " in the " + side + " image";
                            default -> "the image on the " + side + " has " + aCs;
                        };
                return new SyntheticStatement(text, sc.count(c, sh) > 0);
            }
            case 1 -> {
                if (rng.nextBoolean()) {
                    return new SyntheticStatement(
                            pick(rng, "both images contain a ", "each image has a ") + sh.word(),
                            left.count(sh) > 0 && right.count(sh) > 0);
                }
                return new SyntheticStatement(
                        pick(rng, "both images contain ", "each image has ")
                                + article(c.word())
                                + " "
                                + c.word()
                                + " object",
                        left.count(c) > 0 && right.count(c) > 0);
            }
            case 2 -> {
                boolean l = left.count(c, sh) > 0;
                boolean r = right.count(c, sh) > 0;
                return new SyntheticStatement(
                        pick(rng, "exactly one image contains ", "only one of the images has ")
                                + aCs,
                        l ^ r);
            }
            case 3 -> {
                int nl = left.count();
                int nr = right.count();
                return switch (rng.nextInt(4)) {
                    case 0 ->
                            new SyntheticStatement(
                                    "there are more shapes in the left image than in the right image",
                                    nl > nr);
                    case 1 ->
                            new SyntheticStatement(
                                    "the right image has more objects than the left image",
                                    nr > nl);
                    case 2 ->
                            new SyntheticStatement(
                                    "the two images have the same number of shapes", nl == nr);
                    default ->
                            new SyntheticStatement(
                                    "the left image has fewer shapes than the right image",
                                    nl < nr);
                };
            }
            case 4 -> {
                if (rng.nextBoolean()) {
                    int total = left.count(sh) + right.count(sh);
                    int n = rng.nextBoolean() ? total : rng.nextInt(5);
                    return new SyntheticStatement(
                            "there are " + number(n) + " " + sh.plural() + " in total", n == total);
                }
                int total = left.count(c) + right.count(c);
                int n = rng.nextBoolean() ? total : rng.nextInt(5);
                return new SyntheticStatement(
                        "together the images contain " + number(n) + " " + c.word() + " objects",
                        n == total);
            }
            default -> {
                return new SyntheticStatement(
                        pick(rng, "neither image contains ", "none of the images has ") + aCs,
                        left.count(c, sh) == 0 && right.count(c, sh) == 0);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static String number(int n) {
        return n >= 0 && n < NUMBER_WORDS.length ? NUMBER_WORDS[n] : Integer.toString(n);
    }

    private static String noun(SplittableRandom rng) {
        return pick(rng, "shapes", "objects");
    }

    private static String singularNoun(SplittableRandom rng) {
        return pick(rng, "shape", "object");
    }

    static String article(String nextWord) {
        return "aeiou".indexOf(nextWord.toLowerCase(Locale.ROOT).charAt(0)) >= 0 ? "an" : "a";
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rng, T... options) {
        return options[rng.nextInt(options.length)];
    }

    private static <T> T pick(SplittableRandom rng, List<T> items, Predicate<T> filter) {
        List<T> ok = items.stream().filter(filter).toList();
        return ok.isEmpty() ? null : ok.get(rng.nextInt(ok.size()));
    }

    private static <T> List<T> shuffled(List<T> items, SplittableRandom rng) {
        List<T> copy = new ArrayList<>(items);
        for (int i = copy.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T tmp = copy.get(i);
            copy.set(i, copy.get(j));
            copy.set(j, tmp);
        }
        return copy;
    }
}
