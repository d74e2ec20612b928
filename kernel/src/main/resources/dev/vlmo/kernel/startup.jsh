// Start-up snippets of every VLMo kernel session: what a notebook cell can use without imports.
// More snippets: -Dvlmo.kernel.imports=NAME,... or VLMO_KERNEL_IMPORTS (import names), and
// -Dvlmo.kernel.startup=FILE.jsh:... or VLMO_KERNEL_STARTUP (script files); see kernel/README.md.
import java.io.*;
import java.math.*;
import java.nio.file.*;
import java.time.*;
import java.util.*;
import java.util.function.*;
import java.util.stream.*;
import java.awt.image.BufferedImage;
import tech.tablesaw.api.*;
import dev.vlmo.kernel.display.Chart;
import dev.vlmo.kernel.display.Charts;
import dev.vlmo.kernel.display.Progress;
import dev.vlmo.kernel.ImageSearch;
// The DSL and the model. `Runtime` names the DSL's runtime description (java.lang.Runtime stays
// reachable by its full name); `runtime(...)` comes from Recipes and honours smoke mode.
import dev.vlmo.dsl.*;
import dev.vlmo.dsl.Runtime;
import static dev.vlmo.dsl.Dsl.*;
import dev.vlmo.dsl.infer.*;
import dev.vlmo.model.*;
import static dev.vlmo.kernel.Recipes.*;
// display(value): show a table, chart or image in the cell's output now (several per cell)
import static dev.vlmo.kernel.display.NotebookDisplay.display;
