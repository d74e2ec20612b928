package dev.vlmo.kernel.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JShellEvaluatorTest {

    private JShellEvaluator evaluator;

    @BeforeAll
    void start() {
        evaluator =
                JShellEvaluator.create(
                        List.of("import java.util.*;\nimport tech.tablesaw.api.*;\n"));
    }

    @AfterAll
    void stop() {
        evaluator.close();
    }

    @Test
    void multiStatementCellReturnsTheLastExpression() {
        EvalResult result = evaluator.eval("int a = 20;\nint b = 22;\na + b");
        assertTrue(result.hasValue());
        assertEquals(42, result.value());
    }

    @Test
    void valueIsTheObjectItselfNotItsString() {
        evaluator.eval("List<String> names = new ArrayList<>(List.of(\"x\", \"y\"));");
        Object first = evaluator.eval("names").value();
        Object second = evaluator.eval("names").value();
        assertInstanceOf(ArrayList.class, first);
        assertSame(first, second, "both cells see the same object of the session");
        assertEquals(List.of("x", "y"), first);
    }

    @Test
    void cellEndingWithAStatementHasNoValue() {
        EvalResult result = evaluator.eval("int unused = 1;\nSystem.out.print(\"\");");
        assertFalse(result.hasValue());
    }

    @Test
    void declarationsPersistAcrossCells() {
        evaluator.eval("int twice(int x) {\n    return 2 * x;\n}");
        assertEquals(14, evaluator.eval("twice(7)").value());
    }

    @Test
    void startupImportsAreVisible() {
        Object table = evaluator.eval("Table.create(\"t\", IntColumn.create(\"n\", 1, 2))").value();
        assertEquals("tech.tablesaw.api.Table", table.getClass().getName());
        assertTrue(evaluator.startupProblems().isEmpty(), evaluator.startupProblems().toString());
    }

    @Test
    void compileErrorNamesTheCellLineAndShowsTheCode() {
        CompileException e =
                assertThrows(
                        CompileException.class,
                        () -> evaluator.eval("int ok = 1;\n\nString s = ok + ;\n"));
        assertEquals(3, e.cellLine());
        assertTrue(e.getMessage().startsWith("Compile error at line 3"), e.getMessage());
        assertTrue(e.details().contains("    String s = ok + ;"), e.details().toString());
    }

    @Test
    void typeErrorMessageComesFromJavac() {
        CompileException e =
                assertThrows(CompileException.class, () -> evaluator.eval("int n = \"text\";"));
        assertEquals(1, e.cellLine());
        assertTrue(e.getMessage().contains("incompatible types"), e.getMessage());
    }

    @Test
    void runtimeExceptionKeepsMessageAndPointsAtTheCellLine() {
        UserCodeException e =
                assertThrows(
                        UserCodeException.class,
                        () ->
                                evaluator.eval(
                                        "int zero = 0;\nString label = \"x\";\n"
                                                + "Integer.parseInt(label + zero)"));
        assertEquals("java.lang.NumberFormatException", e.exceptionClassName());
        assertEquals(3, e.cellLine());
        assertTrue(e.getMessage().contains("For input string: \"x0\""), e.getMessage());
        assertInstanceOf(NumberFormatException.class, e.getCause(), "the exception as thrown");
        List<String> details = e.details();
        assertTrue(details.get(0).startsWith("java.lang.NumberFormatException"), details.get(0));
        assertTrue(details.contains("    at line 3"), details.toString());
        assertTrue(
                details.stream().anyMatch(l -> l.contains("java.lang.Integer.parseInt")),
                "library frames above the cell are shown: " + details);
        assertTrue(details.size() <= 12, "a short message, not a stack trace: " + details);
        assertTrue(
                details.stream().noneMatch(l -> l.contains("jdk.internal.reflect")),
                "evaluation machinery is hidden: " + details);
    }

    @Test
    void exceptionInAMethodOfAnEarlierCellNamesThatCell() {
        evaluator.eval(
                "double ratio(int a, int b) {\n    if (b == 0) {\n"
                        + "        throw new IllegalArgumentException(\"b must not be 0\");\n"
                        + "    }\n    return a / (double) b;\n}");
        int declaringCell = evaluator.cellCount();
        UserCodeException e =
                assertThrows(UserCodeException.class, () -> evaluator.eval("\nratio(1, 0)"));
        assertEquals("java.lang.IllegalArgumentException: b must not be 0", e.getMessage());
        assertEquals(2, e.cellLine());
        assertTrue(
                e.details().contains("    at ratio (cell [" + declaringCell + "] line 3)"),
                e.details().toString());
    }

    @Test
    void aMethodAfterOtherStatementsReportsTheLineOfItsThrow() {
        UserCodeException e =
                assertThrows(
                        UserCodeException.class,
                        () ->
                                evaluator.eval(
                                        "int zz4 = 0;\nint yy4 = 0;\nint t4(int n) {\n  int k ="
                                                + " n;\n  if (k > 1) {\n    throw new"
                                                + " IllegalArgumentException(\"y\");\n  }\n "
                                                + " return n;\n}\nt4(3)"));
        int cell = evaluator.cellCount();
        assertTrue(
                e.details().contains("    at t4 (cell [" + cell + "] line 6)")
                        || e.details().contains("    at t4 (line 6)"),
                e.details().toString());
    }

    @Test
    void aCompileErrorAfterStatementsThatRanSaysSo() {
        CompileException e =
                assertThrows(
                        CompileException.class,
                        () -> evaluator.eval("int ran7 = 1;\nint also7 = 2;\nint bad7 = \"x\";"));
        assertEquals(3, e.cellLine());
        assertTrue(
                e.details().stream().anyMatch(l -> l.startsWith("Lines 1 to 2 of this cell ran")),
                e.details().toString());
        assertEquals(1, evaluator.eval("ran7").value());
        CompileException first =
                assertThrows(CompileException.class, () -> evaluator.eval("int bad8 = \"x\";"));
        assertTrue(first.details().stream().noneMatch(l -> l.contains("ran before")));
    }

    @Test
    void redefiningAClassSaysWhatItTookAlong() {
        evaluator.eval("class Foo5 { int v() { return 1; } }\nvar foo5 = new Foo5();");
        EvalResult r = evaluator.eval("class Foo5 { int v() { return 2; } }");
        assertTrue(
                r.notes().stream().anyMatch(n -> n.contains("foo5")),
                "a note names the variable the redefinition touched: " + r.notes());
    }

    @Test
    void aMethodBrokenByARedefinitionSaysWhy() {
        evaluator.eval("int counter6 = 0;\nint bump6() { return ++counter6; }");
        evaluator.eval("String counter6 = \"s\";");
        CellException e = assertThrows(CellException.class, () -> evaluator.eval("bump6()"));
        String all = e.getMessage() + " " + e.details();
        assertTrue(all.contains("bad operand") || all.contains("String"), all);
    }

    @Test
    void causesAreListed() {
        UserCodeException e =
                assertThrows(
                        UserCodeException.class,
                        () ->
                                evaluator.eval(
                                        "throw new IllegalStateException(\"outer\","
                                                + " new java.io.IOException(\"disk full\"))"));
        assertTrue(
                e.details().contains("Caused by: java.io.IOException: disk full"),
                e.details().toString());
    }

    @Test
    void methodWithMissingDependencyIsNotedAndRefusedWhenCalled() {
        EvalResult declared = evaluator.eval("void report() { missingHelper(); }");
        assertTrue(
                declared.notes().stream().anyMatch(n -> n.contains("missingHelper")),
                declared.notes().toString());
        CompileException e = assertThrows(CompileException.class, () -> evaluator.eval("report()"));
        assertTrue(e.getMessage().contains("missingHelper"), e.getMessage());
    }

    @Test
    void incompleteCellIsReportedWithItsLine() {
        IncompleteCellException e =
                assertThrows(
                        IncompleteCellException.class,
                        () -> evaluator.eval("int done = 1;\nfor (int i = 0; i < 3; i++) {"));
        assertEquals(2, e.cellLine());
    }

    @Test
    void isCompleteDistinguishesIncompleteInput() {
        assertEquals(InputStatus.INCOMPLETE, evaluator.isComplete("for (int i = 0; i < 3; i++) {"));
        assertEquals(InputStatus.INCOMPLETE, evaluator.isComplete("List.of(1,\n    2"));
        assertEquals(InputStatus.COMPLETE, evaluator.isComplete("int x = 1;\nx + 1"));
        assertEquals(InputStatus.COMPLETE, evaluator.isComplete(""));
    }

    @Test
    void completesAKnownSymbol() {
        Completion completion = evaluator.complete("StringBui", 9);
        assertTrue(completion.matches().contains("StringBuilder"), completion.matches().toString());
        assertEquals(0, completion.start());
        assertEquals(9, completion.end());

        String code = "Table.crea";
        Completion member = evaluator.complete(code, code.length());
        assertTrue(member.matches().contains("create("), member.matches().toString());
        assertEquals(code.indexOf("crea"), member.start());
    }

    @Test
    void completionRejectsACursorOutsideTheCode() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> evaluator.complete("abc", 7));
        assertTrue(e.getMessage().contains("0..3"), e.getMessage());
    }

    @Test
    void documentationShowsSignatures() {
        List<String> docs = evaluator.documentation("Math.max(1, 2)", 6);
        assertTrue(
                docs.stream().anyMatch(d -> d.contains("Math.max(int a, int b)")), docs.toString());
        // also with the cursor after a name not yet followed by "("
        List<String> bare = evaluator.documentation("Math.max", 8);
        assertTrue(
                bare.stream().anyMatch(d -> d.contains("Math.max(int a, int b)")), bare.toString());
        List<String> value = evaluator.documentation("String.valueOf", 14);
        assertTrue(value.stream().anyMatch(d -> d.contains("valueOf(")), value.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void interruptStopsABusyLoopAndTheSessionGoesOn() throws Exception {
        CompletableFuture<Throwable> outcome =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                evaluator.eval("long spins = 0;\nwhile (true) { spins++; }");
                                return null;
                            } catch (Throwable t) {
                                return t;
                            }
                        });
        Thread.sleep(500);
        evaluator.interrupt();
        Throwable thrown = outcome.get(30, TimeUnit.SECONDS);
        assertInstanceOf(CellInterruptedException.class, thrown);
        assertEquals(2, ((CellException) thrown).cellLine());
        assertEquals(3, evaluator.eval("1 + 2").value(), "the session still evaluates");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void interruptWakesASleepingCell() throws Exception {
        CompletableFuture<Throwable> outcome =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                evaluator.eval("Thread.sleep(60_000);");
                                return null;
                            } catch (Throwable t) {
                                return t;
                            }
                        });
        Thread.sleep(500);
        long start = System.nanoTime();
        evaluator.interrupt();
        assertInstanceOf(CellInterruptedException.class, outcome.get(30, TimeUnit.SECONDS));
        assertTrue(
                System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10),
                "an interrupted sleep ends without the forced stop");
    }

    @Test
    void failingStartupSnippetIsReportedAndTheRestStillRuns() {
        try (JShellEvaluator other =
                JShellEvaluator.create(
                        List.of("import no.such.pkg.Thing;\nint fromStartup = 5;\n"))) {
            assertEquals(1, other.startupProblems().size(), other.startupProblems().toString());
            assertTrue(other.startupProblems().get(0).contains("no.such.pkg"));
            assertEquals(5, other.eval("fromStartup").value());
        }
    }
}
