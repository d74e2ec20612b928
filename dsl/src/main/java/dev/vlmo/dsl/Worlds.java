package dev.vlmo.dsl;

import dev.vlmo.datasets.synthetic.SyntheticWorld;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The generated built-in worlds, one per reference and image size. */
final class Worlds {

    private static final Map<DataRef.BuiltIn, Map<Integer, SyntheticWorld>> CACHE =
            new ConcurrentHashMap<>();

    private Worlds() {}

    static SyntheticWorld of(DataRef.BuiltIn ref, int imageSize) {
        return CACHE.computeIfAbsent(ref, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(
                        imageSize,
                        s ->
                                SyntheticWorld.builder()
                                        .seed(ref.seed())
                                        .scenes(
                                                ref.trainScenes(),
                                                ref.evalScenes(),
                                                ref.evalScenes())
                                        .renderSize(s)
                                        .build());
    }
}
