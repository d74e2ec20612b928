import csv, statistics as st, sys
rows=list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else 'bench/ablation/results.csv')))
order=['multiway','shared','vlOnly','random']
label={'multiway':'Multiway, 3 stages, hard negatives (= quickstart recipe)','shared':'shared FFN (standard Transformer), 3 stages, hard','vlOnly':'Multiway, VL stage only (no stages 1-2)','random':'Multiway, 3 stages, random ITM negatives'}
cols=['TR1','TR5','TR10','IR1','IR5','IR10','itc_last50','itm_last50','itm_rank_random','itm_rank_hard']
print('| variant | seeds | TR@1 | TR@5 | TR@10 | IR@1 | IR@5 | IR@10 | ITC loss (last 50) | ITM loss (last 50) | ITM pos>random neg | ITM pos>hard neg | skipped steps |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
budgets=sorted({(int(r['pre_steps']),int(r['vl_steps'])) for r in rows})
for (pre,vl),v in [(b,v) for b in budgets for v in order]:
    rs=[r for r in rows if r['variant']==v and int(r['pre_steps'])==pre and int(r['vl_steps'])==vl]
    if not rs: continue
    cells=[]
    for c in cols:
        vals=[float(r[c]) for r in rs]
        fmt='%.1f' if c[:2] in ('TR','IR') else ('%.4f' if c=='itm_last50' else '%.3f')
        if len(vals)>1:
            cells.append((fmt%st.mean(vals))+' ('+'/'.join(fmt%x for x in vals)+')')
        else:
            cells.append(fmt%vals[0])
    sk='; '.join('s%s: %s'%(r['seed'],r['skipped_steps']) for r in rs)
    print('| %s (%d+%d+%d steps) | %s | %s | %s |'%(label[v], 0 if v=='vlOnly' else pre, 0 if v=='vlOnly' else pre, vl, ','.join(r['seed'] for r in rs), ' | '.join(cells), sk))
