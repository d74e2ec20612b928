package dev.vlmo.kernel.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.Completeness;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Evaluates notebook cells with JShell in the current JVM, so that libraries with native code
 * (DJL's engines) load once and values stay objects that renderers can display.
 *
 * <p>A cell may hold many statements and declarations; they run in order, and the value of the last
 * one is returned when it is an expression. Problems become {@link CellException}s whose details
 * name the cell line.
 */
public final class JShellEvaluator implements AutoCloseable {

    /** Library frames shown above the first frame of cell code. */
    private static final int LIBRARY_FRAMES_SHOWN = 4;

    /** Cell frames shown at most. */
    private static final int CELL_FRAMES_SHOWN = 8;

    /** Causes shown at most. */
    private static final int CAUSES_SHOWN = 3;

    private final JShell shell;
    private final SourceCodeAnalysis analysis;
    private final Provider provider;
    private final Map<String, Origin> origins = new ConcurrentHashMap<>();
    private final List<String> startupProblems = new ArrayList<>();
    private volatile boolean interruptRequested;
    private volatile int cellCount;

    /** Where a snippet came from: a cell number (0 for the start-up script) and its first line. */
    private record Origin(int cell, int lineOffset) {}

    private JShellEvaluator(List<String> compilerOptions) {
        this.provider = new Provider();
        this.shell =
                JShell.builder()
                        .executionEngine(provider, Map.of())
                        .compilerOptions(compilerOptions.toArray(String[]::new))
                        .build();
        this.analysis = shell.sourceCodeAnalysis();
    }

    /**
     * Starts a JShell session in this JVM and runs the start-up scripts, snippet by snippet; a
     * snippet that fails is reported by {@link #startupProblems()} and does not stop the others.
     */
    public static JShellEvaluator create(List<String> startupScripts) {
        return create(startupScripts, List.of());
    }

    /** Like {@link #create(List)}, with extra javac options (such as {@code --enable-preview}). */
    public static JShellEvaluator create(
            List<String> startupScripts, List<String> compilerOptions) {
        Objects.requireNonNull(startupScripts, "startupScripts");
        Objects.requireNonNull(compilerOptions, "compilerOptions");
        JShellEvaluator evaluator = new JShellEvaluator(compilerOptions);
        for (String script : startupScripts) {
            evaluator.runStartup(script);
        }
        return evaluator;
    }

    private void runStartup(String script) {
        String rest = script;
        while (true) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
            if (!info.completeness().isComplete()) {
                if (info.completeness() != Completeness.EMPTY) {
                    startupProblems.add(
                            "start-up snippet `" + firstLine(rest) + "` is incomplete or invalid");
                }
                return;
            }
            try {
                runSnippet(info.source(), 0, 0, new ArrayList<>());
            } catch (CellException e) {
                startupProblems.add(
                        "start-up snippet `"
                                + firstLine(info.source())
                                + "` failed: "
                                + e.getMessage());
            }
            rest = info.remaining();
        }
    }

    /** Problems of the start-up snippets, one line each; empty when all of them ran. */
    public List<String> startupProblems() {
        return List.copyOf(startupProblems);
    }

    /**
     * Runs a cell: each statement or declaration in order, stopping at the first failure.
     *
     * @throws CompileException if a snippet does not compile
     * @throws UserCodeException if the code throws
     * @throws IncompleteCellException if the cell ends inside a statement
     * @throws CellInterruptedException if {@link #interrupt()} stopped it
     */
    public synchronized EvalResult eval(String cell) {
        Objects.requireNonNull(cell, "cell");
        cellCount++;
        return run(cell, cellCount);
    }

    private EvalResult run(String cell, int cellNumber) {
        interruptRequested = false;
        List<String> notes = new ArrayList<>();
        EvalResult result = EvalResult.none(notes);
        String rest = cell;
        int consumed = 0;
        while (true) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(rest);
            Completeness completeness = info.completeness();
            if (completeness == Completeness.EMPTY) {
                return new EvalResult(result.hasValue(), result.value(), notes);
            }
            int start = consumed + snippetStart(rest, info);
            int lineOffset = newlinesBefore(cell, start);
            if (interruptRequested) {
                interruptRequested = false;
                throw new CellInterruptedException(lineOffset + 1);
            }
            if (!completeness.isComplete()) {
                if (completeness == Completeness.UNKNOWN) {
                    // a syntax error: compiling the rest yields javac's diagnostics
                    runSnippet(rest.strip(), cellNumber, lineOffset, notes);
                }
                int line = lineOffset + 1;
                throw new IncompleteCellException(
                        "Incomplete statement at line " + line,
                        line,
                        List.of(
                                "The statement starting at line "
                                        + line
                                        + " is not finished (a missing ';', '}' or ')'?):",
                                "    " + firstLine(rest.strip())));
            }
            try {
                result = runSnippet(info.source(), cellNumber, lineOffset, notes);
            } catch (CompileException e) {
                int before = codeLineOffset(info.source(), lineOffset);
                if (consumed == 0 || before == 0) {
                    throw e;
                }
                // the statements before it have run (a cell runs statement by statement)
                List<String> details = new ArrayList<>(e.details());
                details.add(
                        "Lines 1 to "
                                + before
                                + " of this cell ran before it; what they declared or printed"
                                + " stays (running the cell again runs them again).");
                throw new CompileException(e.getMessage(), e.cellLine(), details);
            }
            consumed += rest.length() - info.remaining().length();
            rest = info.remaining();
        }
    }

    /** Runs one complete snippet; returns its value when it is an expression. */
    private EvalResult runSnippet(
            String source, int cellNumber, int lineOffset, List<String> notes) {
        CellExecutionControl control = provider.control();
        control.clearLast();
        // JShell numbers the lines of a snippet from its first non-blank character, and maps
        // the lines of a method's frames only for a snippet that starts there: give it that
        int codeLineOffset = codeLineOffset(source, lineOffset);
        source = source.substring(leadingBlank(source));
        lineOffset = codeLineOffset;
        List<SnippetEvent> events = shell.eval(source);
        for (SnippetEvent event : events) {
            if (event.causeSnippet() == null && event.snippet() != null) {
                origins.put(event.snippet().id(), new Origin(cellNumber, codeLineOffset));
            }
        }
        if (interruptRequested) {
            interruptRequested = false;
            throw new CellInterruptedException(codeLineOffset + 1);
        }
        EvalResult result = EvalResult.none(notes);
        for (SnippetEvent event : events) {
            if (event.causeSnippet() != null) {
                // a snippet that depends on this one (a variable of a redefined class, a method
                // using a redeclared variable): say what became of it
                String note = dependentNote(event);
                if (note != null) {
                    notes.add(note);
                }
                continue;
            }
            Snippet snippet = event.snippet();
            JShellException exception = event.exception();
            if (exception != null) {
                throw runtimeFailure(exception, control.lastFailure(), codeLineOffset, cellNumber);
            }
            switch (event.status()) {
                case REJECTED -> throw compileFailure(snippet, source, lineOffset);
                case RECOVERABLE_DEFINED, RECOVERABLE_NOT_DEFINED ->
                        notes.add(unresolvedNote((DeclarationSnippet) snippet));
                default -> {
                    // defined or valid
                }
            }
            if (isValueSnippet(snippet) && control.hasLastValue()) {
                result = new EvalResult(true, control.lastValue(), notes);
            }
        }
        return result;
    }

    /** What a cell's redefinition did to a snippet that depended on it, or null if nothing. */
    private String dependentNote(SnippetEvent event) {
        if (!(event.snippet() instanceof DeclarationSnippet d)) {
            return null;
        }
        String what = kindName(d) + " " + d.name();
        return switch (event.status()) {
            case VALID ->
                    d.kind() == Snippet.Kind.VAR && event.previousStatus() == Snippet.Status.VALID
                            ? what
                                    + " was declared with what this cell redefined: it is reset to"
                                    + " its default value (null, 0, false); assign it again"
                            : null;
            case RECOVERABLE_DEFINED, RECOVERABLE_NOT_DEFINED ->
                    what
                            + " no longer compiles after this cell ("
                            + problemOf(d)
                            + "); it cannot be used until it is declared again";
            case OVERWRITTEN, DROPPED, REJECTED -> what + " is gone after this cell";
            default -> null;
        };
    }

    private static String kindName(DeclarationSnippet d) {
        return switch (d.kind()) {
            case VAR -> "variable";
            case METHOD -> "method";
            case TYPE_DECL -> "type";
            default -> d.kind().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The first compile error of a snippet, or what it still needs declared. */
    private String problemOf(DeclarationSnippet d) {
        String missing = shell.unresolvedDependencies(d).collect(Collectors.joining(", "));
        if (!missing.isEmpty()) {
            return "it needs " + missing;
        }
        return shell.diagnostics(d)
                .filter(Diag::isError)
                .map(x -> firstLine(diagMessage(x)))
                .findFirst()
                .orElse("it does not compile");
    }

    private static boolean isValueSnippet(Snippet snippet) {
        return switch (snippet.subKind()) {
            case VAR_VALUE_SUBKIND, OTHER_EXPRESSION_SUBKIND, TEMP_VAR_EXPRESSION_SUBKIND -> true;
            default -> false;
        };
    }

    private String unresolvedNote(DeclarationSnippet snippet) {
        String missing = shell.unresolvedDependencies(snippet).collect(Collectors.joining(", "));
        return "note: "
                + describe(snippet)
                + " can be used once "
                + (missing.isEmpty() ? "its dependencies are" : missing + " is")
                + " declared";
    }

    private static String describe(Snippet snippet) {
        return snippet instanceof DeclarationSnippet d ? d.name() : firstLine(snippet.source());
    }

    private CompileException compileFailure(Snippet snippet, String source, int lineOffset) {
        List<Diag> diags = shell.diagnostics(snippet).filter(Diag::isError).toList();
        if (diags.isEmpty()) {
            diags = shell.diagnostics(snippet).toList();
        }
        List<String> details = new ArrayList<>();
        int firstLine = lineOffset + 1;
        String summary = "Compile error";
        for (int i = 0; i < diags.size(); i++) {
            Diag diag = diags.get(i);
            int position = (int) Math.max(0, Math.min(diag.getStartPosition(), source.length()));
            int end =
                    (int) Math.max(position + 1, Math.min(diag.getEndPosition(), source.length()));
            int lineInSnippet = newlinesBefore(source, position);
            int line = lineOffset + lineInSnippet + 1;
            String message = diagMessage(diag);
            if (i == 0) {
                firstLine = line;
                summary = "Compile error at line " + line + ": " + firstLine(message);
            }
            details.add("Compile error at line " + line + ":");
            int lineStart = source.lastIndexOf('\n', position - 1) + 1;
            int lineEnd = source.indexOf('\n', position);
            String text = source.substring(lineStart, lineEnd < 0 ? source.length() : lineEnd);
            details.add("    " + text);
            int markerEnd = Math.min(end, lineStart + text.length());
            details.add(
                    "    "
                            + " ".repeat(position - lineStart)
                            + "^".repeat(Math.max(1, markerEnd - position)));
            details.addAll(message.lines().toList());
        }
        if (diags.isEmpty()) {
            details.add("Compile error at line " + firstLine + ": " + firstLine(source));
        }
        return new CompileException(summary, firstLine, details);
    }

    private static String diagMessage(Diag diag) {
        return diag.getMessage(null)
                .lines()
                .filter(l -> !l.strip().startsWith("location:"))
                .collect(Collectors.joining("\n"));
    }

    private CellException runtimeFailure(
            JShellException exception, Throwable thrown, int lineOffset, int cellNumber) {
        if (exception instanceof UnresolvedReferenceException unresolved) {
            DeclarationSnippet snippet = unresolved.getSnippet();
            String missing =
                    shell.unresolvedDependencies(snippet).collect(Collectors.joining(", "));
            int line = lineOffset + 1;
            String summary =
                    missing.isEmpty()
                            // declared, but no longer compiling (something it uses changed)
                            ? snippet.name()
                                    + " cannot run: "
                                    + problemOf(snippet)
                                    + "; declare it again"
                            : snippet.name() + " cannot run until " + missing + " is declared";
            return new CompileException(summary, line, List.of("Line " + line + ": " + summary));
        }
        List<String> details = new ArrayList<>();
        int firstCellLine = 0;
        JShellException current = exception;
        for (int depth = 0; current != null && depth <= CAUSES_SHOWN; depth++) {
            String header = headline(current);
            details.add(depth == 0 ? header : "Caused by: " + header);
            List<StackTraceElement> frames = List.of(current.getStackTrace());
            int shownLibrary = 0;
            int hiddenLibrary = 0;
            int shownCell = 0;
            int lastCellFrame = -1;
            for (int i = 0; i < frames.size(); i++) {
                if (isCellFrame(frames.get(i))) {
                    lastCellFrame = i;
                }
            }
            for (int i = 0; i < frames.size(); i++) {
                StackTraceElement frame = frames.get(i);
                if (isCellFrame(frame)) {
                    if (hiddenLibrary > 0) {
                        details.add("    ... " + hiddenLibrary + " library frames");
                        hiddenLibrary = 0;
                    }
                    if (shownCell++ < CELL_FRAMES_SHOWN) {
                        details.add("    at " + describeCellFrame(frame, cellNumber));
                    }
                    if (depth == 0 && firstCellLine == 0) {
                        firstCellLine = cellLine(frame, cellNumber);
                    }
                } else if (lastCellFrame >= 0 && i > lastCellFrame) {
                    break; // the evaluation machinery below the cell
                } else if (shownCell == 0 && shownLibrary < LIBRARY_FRAMES_SHOWN) {
                    details.add("    at " + frame);
                    shownLibrary++;
                } else {
                    hiddenLibrary++;
                }
            }
            if (hiddenLibrary > 0) {
                details.add("    ... " + hiddenLibrary + " more");
            }
            current = current.getCause() instanceof JShellException next ? next : null;
        }
        String className =
                exception instanceof EvalException e
                        ? e.getExceptionClassName()
                        : exception.getClass().getName();
        String summary = headline(exception);
        return new UserCodeException(
                summary,
                className,
                firstCellLine == 0 ? lineOffset + 1 : firstCellLine,
                details,
                thrown);
    }

    private static String headline(JShellException exception) {
        String name =
                exception instanceof EvalException e
                        ? e.getExceptionClassName()
                        : exception.getClass().getName();
        String message = exception.getMessage();
        return message == null || message.isEmpty() ? name : name + ": " + message;
    }

    private static boolean isCellFrame(StackTraceElement frame) {
        String file = frame.getFileName();
        return file != null && file.startsWith("#");
    }

    private int cellLine(StackTraceElement frame, int currentCell) {
        Origin origin = origins.get(frame.getFileName().substring(1));
        if (origin == null || origin.cell() != currentCell) {
            return 0;
        }
        return origin.lineOffset() + Math.max(1, frame.getLineNumber());
    }

    private String describeCellFrame(StackTraceElement frame, int currentCell) {
        Origin origin = origins.get(frame.getFileName().substring(1));
        int snippetLine = Math.max(1, frame.getLineNumber());
        String where;
        if (origin == null) {
            where = "snippet " + frame.getFileName() + ", line " + snippetLine;
        } else if (origin.cell() == 0) {
            where = "start-up script, line " + (origin.lineOffset() + snippetLine);
        } else if (origin.cell() == currentCell) {
            where = "line " + (origin.lineOffset() + snippetLine);
        } else {
            where = "cell [" + origin.cell() + "] line " + (origin.lineOffset() + snippetLine);
        }
        String method = frame.getMethodName();
        if (method == null || method.isEmpty() || method.startsWith("do_it$")) {
            return where;
        }
        if (method.startsWith("lambda$")) {
            return "a lambda (" + where + ")";
        }
        String owner = frame.getClassName();
        String qualified =
                owner == null || owner.isEmpty() ? method : simpleName(owner) + "." + method;
        return qualified + " (" + where + ")";
    }

    private static String simpleName(String className) {
        String name = className.substring(className.lastIndexOf('.') + 1);
        int dollar = name.lastIndexOf('$');
        return dollar >= 0 ? name.substring(dollar + 1) : name;
    }

    /** Says whether the text is a complete cell, needs more lines, or cannot compile. */
    public InputStatus isComplete(String code) {
        Objects.requireNonNull(code, "code");
        SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(code);
        while (info.completeness().isComplete()) {
            info = analysis.analyzeCompletion(info.remaining());
        }
        return switch (info.completeness()) {
            case EMPTY, COMPLETE, COMPLETE_WITH_SEMI -> InputStatus.COMPLETE;
            case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> InputStatus.INCOMPLETE;
            case UNKNOWN -> InputStatus.INVALID;
        };
    }

    /** Completion candidates at the cursor (an offset into {@code code}). */
    public Completion complete(String code, int cursor) {
        checkCursor(code, cursor);
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions =
                analysis.completionSuggestions(code, cursor, anchor);
        List<String> matches =
                suggestions.stream()
                        .sorted(
                                Comparator.comparing(
                                        (SourceCodeAnalysis.Suggestion s) -> !s.matchesType()))
                        .map(SourceCodeAnalysis.Suggestion::continuation)
                        .distinct()
                        .toList();
        return new Completion(matches, Math.min(anchor[0], cursor), cursor);
    }

    /**
     * Signatures and javadoc of what the identifier at the cursor names; empty when it names
     * nothing known.
     */
    public List<String> documentation(String code, int cursor) {
        checkCursor(code, cursor);
        int at = cursor;
        while (at < code.length() && Character.isJavaIdentifierPart(code.charAt(at))) {
            at++;
        }
        int next = at;
        while (next < code.length() && Character.isWhitespace(code.charAt(next))) {
            next++;
        }
        boolean open = next < code.length() && code.charAt(next) == '(';
        if (open) {
            at = next + 1;
        }
        List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(code, at, true);
        if (docs.isEmpty()
                && !open
                && at > 0
                && Character.isJavaIdentifierPart(code.charAt(at - 1))) {
            // a method name not yet followed by "(" (Math.max|): ask as if the call were open
            docs =
                    analysis.documentation(
                            code.substring(0, at) + "(" + code.substring(at), at + 1, true);
        }
        return docs.stream()
                .map(
                        d ->
                                d.javadoc() == null || d.javadoc().isBlank()
                                        ? d.signature()
                                        : d.signature() + "\n" + d.javadoc())
                .toList();
    }

    private static void checkCursor(String code, int cursor) {
        Objects.requireNonNull(code, "code");
        if (cursor < 0 || cursor > code.length()) {
            throw new IllegalArgumentException(
                    "cursor must be within 0.." + code.length() + ", got " + cursor);
        }
    }

    /** Asks the running cell to stop: interrupts it and, if it does not stop, kills its thread. */
    public void interrupt() {
        CellExecutionControl control = provider.created;
        if (control != null) {
            interruptRequested = true;
            control.stop();
        }
    }

    /** The number of cells evaluated so far. */
    public int cellCount() {
        return cellCount;
    }

    /** Closes the JShell session. */
    @Override
    public void close() {
        shell.close();
    }

    /** Where the snippet that {@code info} describes starts within {@code text}. */
    private static int snippetStart(String text, SourceCodeAnalysis.CompletionInfo info) {
        String source = info.completeness().isComplete() ? info.source() : null;
        if (source != null) {
            String core =
                    info.completeness() == Completeness.COMPLETE_WITH_SEMI && source.endsWith(";")
                            ? source.substring(0, source.length() - 1)
                            : source;
            int index = core.isBlank() ? -1 : text.indexOf(core);
            if (index >= 0) {
                return index;
            }
        }
        return leadingBlank(text);
    }

    /** The cell lines before a snippet's first non-blank character. */
    private static int codeLineOffset(String source, int lineOffset) {
        return lineOffset + newlinesBefore(source, leadingBlank(source));
    }

    private static int leadingBlank(String text) {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int newlinesBefore(String text, int end) {
        int count = 0;
        for (int i = 0; i < Math.min(end, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                count++;
            }
        }
        return count;
    }

    private static String firstLine(String text) {
        String stripped = text.strip();
        int newline = stripped.indexOf('\n');
        return newline < 0 ? stripped : stripped.substring(0, newline) + " ...";
    }

    /** Creates the one execution control of this session and keeps it for values and stops. */
    private static final class Provider implements ExecutionControlProvider {
        private volatile CellExecutionControl created;

        @Override
        public String name() {
            return "vlmo-cell";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            created = new CellExecutionControl();
            return created;
        }

        CellExecutionControl control() {
            return Objects.requireNonNull(created, "JShell has not started its execution engine");
        }
    }
}
