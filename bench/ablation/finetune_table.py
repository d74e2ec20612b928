"""Markdown table of bench/ablation-finetune.jsh results: per task metric, the mean over seeds of
each pretrained model (variant and stage lengths; the seeds' values in brackets), and each model's
difference from the VL-only one with its standard error (computed as for independent samples,
which is conservative when the models share seeds). A seed measured twice counts once (its last
row)."""
import csv, statistics as st, sys
from collections import OrderedDict

rows = {}
for r in csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else 'bench/ablation/results-finetune.csv')):
    rows[(r['variant'], r['seed'], r['pre_steps'], r['vl_steps'], r['task'], r['metric'])] = r
rows = list(rows.values())


def model(r):
    pre = '0' if r['variant'] == 'vlOnly' else r['pre_steps']
    return (r['variant'], int(pre), int(r['vl_steps']))


def name(m):
    v, pre, vl = m
    label = {'multiway': 'three stages', 'vlOnly': 'VL stage only', 'shared': 'shared FFN', 'random': 'random negatives'}[v]
    return '%s (%d+%d+%d steps)' % (label, pre, pre, vl)


models = sorted({model(r) for r in rows}, key=lambda m: (m[2], m[0] != 'vlOnly', m[1]))
base = [m for m in models if m[0] == 'vlOnly']
others = [m for m in models if m[0] != 'vlOnly']
print('| task | metric | ' + ' | '.join(name(m) for m in models) + ''.join(
    ' | %d+%d+%d minus VL only (standard error)' % (m[1], m[1], m[2]) for m in others if base) + ' |')
print('|---|---|' + '---|' * len(models) + ('---|' * len(others) if base else ''))
for task, metric in OrderedDict.fromkeys((r['task'], r['metric']) for r in rows):
    stats = {}
    cells = []
    for m in models:
        rs = [r for r in rows if model(r) == m and r['task'] == task and r['metric'] == metric]
        if not rs:
            cells.append('')
            continue
        vals = [float(r['value']) for r in rs]
        se = st.stdev(vals) / len(vals) ** 0.5 if len(vals) > 1 else float('nan')
        stats[m] = (st.mean(vals), se)
        cells.append('%.1f (%s)' % (st.mean(vals), '/'.join('%.1f' % x for x in vals)))
    diffs = []
    if base:
        for m in others:
            if m in stats and base[0] in stats:
                d = stats[m][0] - stats[base[0]][0]
                diffs.append('%+.1f (%.1f)' % (d, (stats[m][1] ** 2 + stats[base[0]][1] ** 2) ** 0.5))
            else:
                diffs.append('')
    print('| %s | %s | %s |' % (task, metric, ' | '.join(cells + diffs)))
