// Run by `./vlmo jshell` after the start-up imports: the settings every JVM of the project gets
// (DJL's telemetry off, its start-up notes off the console), as the kernel and recipes apply them.
dev.vlmo.kernel.KernelJvm.applyToCurrentJvm();
