// Does the tiny model see shapes at 32 pixels? VQA on the built-in world never learns shape
// questions; this separates perception from the question answering. Single-object images drawn
// as the world draws objects (random shape, colour, size and cell; 4000 to train on, 400 held
// out), classified by shape after the quickstart's pretraining: linear probe and full fine-tuning
// without augmentation (crops can cut a 5-pixel object away), and full fine-tuning with the
// default augmentation. bench/shape_probe_torch.py trains a PyTorch ViT of the same size from
// scratch on the same images (it reads the .bin files this script writes). README, "Fine-tuning".
//
// Run:  ./vlmo run bench/shape-probe.jsh            (about 8 minutes on a 2-core CPU)
//       OPENBLAS_NUM_THREADS=2 python3 bench/shape_probe_torch.py

import dev.vlmo.datasets.synthetic.*;
import javax.imageio.ImageIO;

var root = Path.of("target/shape-probe");
var rng = new java.util.SplittableRandom(7);
for (String split : List.of("train", "test")) {
    int n = split.equals("train") ? 4000 : 400;
    for (Shape sh : Shape.values()) {
        Files.createDirectories(root.resolve(split).resolve(sh.word()));
    }
    // label byte, then 32 x 32 x 3 RGB bytes per image, for the PyTorch side
    try (var bin = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
            Files.newOutputStream(root.resolve(split + ".bin"))))) {
        for (int i = 0; i < n; i++) {
            Shape shape = Shape.values()[rng.nextInt(Shape.values().length)];
            Colour colour = Colour.values()[rng.nextInt(Colour.values().length)];
            Size size = Size.values()[rng.nextInt(Size.values().length)];
            Cell c = Cell.values()[rng.nextInt(Cell.values().length)];
            double slack = (1.0 / 6 - size.radius()) * 0.8;
            double cx = (c.col() + 0.5) / 3 + (rng.nextDouble() * 2 - 1) * slack;
            double cy = (c.row() + 0.5) / 3 + (rng.nextDouble() * 2 - 1) * slack;
            var o = new SceneObject(shape, colour, size, c, cx, cy, colour.rgb());
            var img = SceneRenderer.render(new Scene(List.of(o), 0x303030), 32);
            ImageIO.write(img, "png", root.resolve(split).resolve(shape.word()).resolve(i + ".png").toFile());
            bin.writeByte(shape.ordinal());
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int rgb = img.getRGB(x, y);
                    bin.writeByte(rgb >> 16);
                    bin.writeByte(rgb >> 8);
                    bin.writeByte(rgb);
                }
            }
        }
    }
}

var world = builtIn();
var vlmo = Vlmo.tiny()
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(400).batchSize(64).learningRate(1e-3).warmup(40).gradientClipping(1.0));
var table = Table.create("shape of a single object, 400 held-out images (top-1 %, chance 25)",
        StringColumn.create("fine-tune"), IntColumn.create("steps"), DoubleColumn.create("top-1"));
var train = imageFolder(root + "/train");
var test = imageFolder(root + "/test");
try (var run = vlmo.run(runtime(on(cpu()).logEvery(200)))) {
    String[] names = {"linear probe, no augmentation", "full, no augmentation",
            "full, no augmentation", "full, default augmentation"};
    int[] steps = {600, 600, 2000, 600};
    Finetune[] tasks = {linearProbe().augment(false), classification().augment(false),
            classification().augment(false), classification()};
    for (int i = 0; i < tasks.length; i++) {
        try (var ft = run.finetune(tasks[i].steps(steps[i]).data(train).evalData(test))) {
            table.stringColumn("fine-tune").append(names[i]);
            table.intColumn("steps").append(steps[i]);
            table.doubleColumn("top-1").append(ft.metric("top-1 accuracy"));
        }
    }
}
System.out.println(table.printAll());
