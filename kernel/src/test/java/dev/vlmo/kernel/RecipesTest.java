package dev.vlmo.kernel;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.Runtime;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecipesTest {

    @AfterEach
    void clear() {
        System.clearProperty(Recipes.SMOKE_PROPERTY);
    }

    @Test
    void withoutSmokeModeTheRuntimeIsTheRecipes() {
        System.setProperty(Recipes.SMOKE_PROPERTY, "false");
        Runtime rt = on(cpu()).resume(true);
        assertSame(rt, Recipes.runtime(rt));
        assertFalse(Recipes.smokeMode());
    }

    @Test
    void smokeModeSmokesAndNeverTouchesTheRecipesRunDirectory() {
        System.setProperty(Recipes.SMOKE_PROPERTY, "1");
        Runtime rt = on(cpu()).runDir(Path.of("runs/base")).resume(true).logEvery(7);
        Runtime smoke = Recipes.runtime(rt);
        assertTrue(smoke.isSmoke());
        assertFalse(smoke.resume());
        assertTrue(Files.isDirectory(smoke.runDir()), "a fresh temporary directory");
        assertFalse(smoke.runDir().endsWith("runs/base"), smoke.runDir().toString());
        assertTrue(smoke.logEvery() == 7 && smoke.devices().equals(rt.devices()));
    }

    @Test
    void aBadSettingIsNamed() {
        System.setProperty(Recipes.SMOKE_PROPERTY, "maybe");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, Recipes::smokeMode);
        assertTrue(
                e.getMessage().contains("vlmo.smoke") && e.getMessage().contains("maybe"),
                e.getMessage());
    }
}
