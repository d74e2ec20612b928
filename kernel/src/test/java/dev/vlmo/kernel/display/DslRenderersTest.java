package dev.vlmo.kernel.display;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Vlmo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class DslRenderersTest {

    private static Renderer renderer() {
        Renderer r = new Renderer();
        Renderers.registerAll(r);
        DslRenderers.registerAll(r);
        return r;
    }

    private static final Vlmo TWO_STAGES =
            Vlmo.tiny()
                    .stage(vision().data(builtIn()).steps(3))
                    .stage(text().data(builtIn()).steps(4));

    @Test
    void descriptionShowsAsItsPlanTable() {
        DisplayData data = renderer().render(TWO_STAGES);
        String html = String.valueOf(data.getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains(">objectives</th>") && html.contains(">trainable params</th>"));
        assertTrue(html.contains("<td>vision</td>") && html.contains("<td>text</td>"), html);
        assertEquals(TWO_STAGES.toString(), data.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void descriptionThatCannotCompileShowsItsTextAndWhy() {
        Vlmo broken = Vlmo.tiny().vocabulary(Path.of("no/such/vocab.txt")).stage(text());
        String html = String.valueOf(renderer().render(broken).getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains("cannot describe the plan"), html);
        assertTrue(html.contains("vocab.txt"), html);
    }

    @Test
    void runShowsTheLastStepOfEachStage(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("metrics.csv"),
                "stage,kind,step,loss,itc,itm,mlm,mim,lr,samples_per_s,seconds\n"
                        + "1,vision,1,1.2,,,,1.2,0.001,10,1\n"
                        + "1,vision,2,1.1,,,,1.1,0.001,10,1\n"
                        + "2,text,1,5.5,,,5.5,,0.001,20,1\n"
                        + "2,text,2,5.25,,,5.25,,0.001,20,1\n");
        Run run = new Run(TWO_STAGES.compile(on(cpu())), null, null, dir, null);

        Table last = DslRenderers.lastSteps(run);
        assertEquals(2, last.rowCount());
        assertEquals(1.1, last.doubleColumn("loss").get(0), 1e-9);
        assertEquals(5.25, last.doubleColumn("loss").get(1), 1e-9);

        DisplayData data = renderer().render(run);
        String html = String.valueOf(data.getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains("last step of each stage") && html.contains(">5.25</td>"), html);
        assertTrue(String.valueOf(data.getData(MIMEType.TEXT_PLAIN)).startsWith("Run(tiny"));
    }
}
