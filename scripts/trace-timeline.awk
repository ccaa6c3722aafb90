# SPDX-License-Identifier: GPL-2.0
# A tracefs trace of qspin's events (kmod/qspin/trace.h) -> a per-CPU
# timeline for gnuplot (scripts/trace-demo.sh). POSIX awk (mawk, gawk).
#
#   awk -v dir=DIR -v title=TEXT [-v window_ms=MS] -f trace-timeline.awk TRACE > DIR/plot.gp
#   gnuplot -e "term='svg'; out='FILE.svg'" DIR/plot.gp
#
# TRACE: the "trace" file's lines (trace_clock global), after "LOCK addr
# name" lines naming the locks. One lane per CPU and context level (task,
# softirq, hardirq, NMI: the irq-context letter of the trace's flags column),
# only the lanes with events; in each:
#   hold   lock_acquired .. lock_release          solid bar, the lock's colour
#   spin   contention_begin .. contention_end     hatched half bar; its label
#          "#k": k-1 CPUs were already waiting on that lock when it came
#          (the queue order: they get the lock in that order)
#   ret    contention_end ret != 0                 the errno's name, in red
#   irq    irq_handler_entry .. exit, irq_work_entry .. exit   a grey band
#   hand-over  an arrow from a release to the contended acquisition of the
#          same lock that follows it in another lane
# window_ms > 0: only the busiest window of that many ms (the highest sum
# of contention_begin, 1 each, a nested one 4, and contention_end, 2 for a
# hand-over); 0 or unset: the whole trace.
# Bars are at least 1/400 of the window wide: a 20 us hold stays visible.
# Data files go to DIR; the gnuplot script (which reads them) to stdout.

function ctx_of(flags,  c) {
	c = substr(flags, 3, 1)
	if (c == "z" || c == "Z")
		return 3
	if (c == "h" || c == "H")
		return 2
	if (c == "s")
		return 1
	return 0
}

function addr(s) {
	sub(/^0x/, "", s)
	return s
}

# The lock's short name: torture_locks+N -> its tlock_names entry.
function lock_name(a,  n, off, i) {
	n = (a in sym) ? sym[a] : a
	if (n ~ /^torture_locks\+[0-9]+$/) {
		off = substr(n, 15) + 0
		i = int(off / 64)
		if (off % 64 == 0 && i < 8)
			return "torture " tl[i]
	}
	sub(/\+0$/, "", n)
	return n
}

function lock_id(a) {
	if (!(a in lid)) {
		lid[a] = ++nlocks
		lname[nlocks] = lock_name(a)
	}
	return lid[a]
}

BEGIN {
	split("all bh task soft hard nmi checked_a checked_b", tmp, " ")
	for (i = 1; i <= 8; i++)
		tl[i - 1] = tmp[i]
	ctxname[0] = "task"; ctxname[1] = "softirq"
	ctxname[2] = "hardirq"; ctxname[3] = "NMI"
	if (window_ms == "")
		window_ms = 0
	n = 0
}

$1 == "LOCK" { sym[$2] = $3; next }

{
	cpu = -1
	for (i = 1; i <= NF - 4; i++)
		if ($i ~ /^\[[0-9]+\]$/) {
			cpu = substr($i, 2, length($i) - 2) + 0
			break
		}
	if (cpu < 0)
		next
	ev = $(i + 3)
	sub(/:$/, "", ev)
	if (ev !~ /^(contention_begin|contention_end|lock_acquired|lock_release|irq_handler_entry|irq_handler_exit|irq_work_entry|irq_work_exit)$/)
		next
	n++
	E_cpu[n] = cpu
	E_ctx[n] = ctx_of($(i + 1))
	E_ts[n] = $(i + 2) + 0
	E_ev[n] = ev
	E_a[n] = addr($(i + 4))
	E_ret[n] = 0
	if (ev == "contention_end" && match($0, /\(ret=-?[0-9]+\)/))
		E_ret[n] = substr($0, RSTART + 5, RLENGTH - 6) + 0
	if (ev ~ /^irq_/)
		E_a[n] = $(i + 4) " " $(i + 5)
}

function lane_of(c, x,  k) {
	k = c SUBSEP x
	if (!(k in lane)) {
		lane[k] = ++nlanes
		lane_cpu[nlanes] = c
		lane_ctx[nlanes] = x
	}
	return lane[k]
}

function clip(t) {
	return t < w0 ? w0 : (t > w1 ? w1 : t)
}

function ms(t) {
	return sprintf("%.4f", (t - w0) * 1000)
}

# A bar's end, at least min_w after its start: short holds stay visible.
function ms_end(s, t) {
	return ms(t - s < min_w ? s + min_w : t)
}

END {
	if (n == 0) {
		print "trace-timeline.awk: no qspin events in the trace" > "/dev/stderr"
		exit 1
	}
	# The window: the busiest window_ms of contention_begin (nested: x4).
	w0 = E_ts[1]
	w1 = E_ts[n]
	if (window_ms > 0) {
		best = -1
		nb = 0
		for (i = 1; i <= n; i++) {
			k = E_cpu[i] SUBSEP E_ctx[i]
			if (E_ev[i] == "contention_begin") {
				open_on[E_cpu[i]]++
				nb++
				B_ts[nb] = E_ts[i]
				B_w[nb] = open_on[E_cpu[i]] > 1 ? 4 : 1
			} else if (E_ev[i] == "contention_end") {
				if (open_on[E_cpu[i]] > 0)
					open_on[E_cpu[i]]--
				nb++
				B_ts[nb] = E_ts[i]
				B_w[nb] = E_ret[i] == 0 ? 2 : 1
			}
		}
		j = 1
		score = 0
		for (i = 1; i <= nb; i++) {
			score += B_w[i]
			while (B_ts[i] - B_ts[j] > window_ms / 1000) {
				score -= B_w[j]
				j++
			}
			if (score > best) {
				best = score
				bstart = B_ts[j]
			}
		}
		if (best > 0) {
			w0 = bstart - window_ms / 4000
			w1 = w0 + window_ms / 1000
		}
	}
	pad = (w1 - w0) * 0.01
	w0 -= pad
	w1 += pad
	min_w = (w1 - w0) / 400

	holds = dir "/holds.dat"; spins = dir "/spins.dat"
	arrows = dir "/arrows.dat"; labels = dir "/labels.dat"
	rets = dir "/rets.dat"; irqs = dir "/irqs.dat"
	printf "" > holds; printf "" > spins; printf "" > arrows
	printf "" > labels; printf "" > rets; printf "" > irqs

	# Lanes, in CPU then context order, of the events in the window (and
	# of intervals that cross it).
	for (i = 1; i <= n; i++) {
		k = E_cpu[i] SUBSEP E_ctx[i] SUBSEP E_a[i]
		if (E_ev[i] == "lock_acquired" || E_ev[i] == "contention_begin" ||
		    E_ev[i] ~ /_entry$/)
			start[E_ev[i], k] = E_ts[i]
		s = -1
		if (E_ev[i] == "lock_release")
			s = start["lock_acquired", k]
		else if (E_ev[i] == "contention_end")
			s = start["contention_begin", k]
		if (E_ts[i] >= w0 && E_ts[i] <= w1 || s != "" && s >= 0 && s <= w1 && E_ts[i] >= w0)
			used[E_cpu[i] SUBSEP E_ctx[i]] = 1
	}
	for (c = 0; c < 256; c++)
		for (x = 0; x < 4; x++)
			if ((c SUBSEP x) in used)
				lane_of(c, x)
	y = 0
	prev_cpu = -1
	for (l = 1; l <= nlanes; l++) {
		if (prev_cpu >= 0 && lane_cpu[l] != prev_cpu)
			y += 0.5
		lane_y[l] = y
		y += 1
		prev_cpu = lane_cpu[l]
	}
	ymax = y - 0.5

	split("", start)
	nholds = nspins = nhand = nrets = nirqs = nlabels = 0
	for (i = 1; i <= n; i++) {
		if (!((E_cpu[i] SUBSEP E_ctx[i]) in lane))
			continue
		l = lane[E_cpu[i], E_ctx[i]]
		yy = lane_y[l]
		a = E_a[i]
		k = l SUBSEP a
		t = E_ts[i]
		ev = E_ev[i]
		if (ev == "lock_acquired") {
			id = lock_id(a)
			hold_start[k] = t
			# A contended acquisition: the hand-over from the last release.
			if (contended[k] && (a in rel_t) && rel_lane[a] != l &&
			    t <= w1 && rel_t[a] >= w0) {
				printf "%s %s %s %s\n", ms(rel_t[a]), lane_y[rel_lane[a]],
					(t - rel_t[a]) * 1000, yy - lane_y[rel_lane[a]] >> arrows
				nhand++
			}
			contended[k] = 0
		} else if (ev == "lock_release") {
			id = lock_id(a)
			if (k in hold_start && hold_start[k] <= w1 && t >= w0) {
				printf "%s %s %s %d\n", ms(clip(hold_start[k])), ms_end(clip(hold_start[k]), clip(t)), yy, id >> holds
				nholds++
			}
			delete hold_start[k]
			rel_t[a] = t
			rel_lane[a] = l
		} else if (ev == "contention_begin") {
			id = lock_id(a)
			spin_start[k] = t
			spin_pos[k] = ++waiting[a]
		} else if (ev == "contention_end") {
			id = lock_id(a)
			if (waiting[a] > 0)
				waiting[a]--
			if (k in spin_start && spin_start[k] <= w1 && t >= w0) {
				printf "%s %s %s %d\n", ms(clip(spin_start[k])), ms_end(clip(spin_start[k]), clip(t)), yy, id >> spins
				if (spin_start[k] >= w0) {
					printf "%s %s \"#%d\"\n", ms(spin_start[k]), yy + 0.32, spin_pos[k] >> labels
					nlabels++
				}
				nspins++
			}
			if (E_ret[i] != 0 && t >= w0 && t <= w1) {
				name = E_ret[i] == -35 ? "-EDEADLK" : (E_ret[i] == -110 ? "-ETIMEDOUT" : E_ret[i])
				printf "%s %s \"%s\"\n", ms(t), yy, name >> rets
				nrets++
			}
			contended[k] = (E_ret[i] == 0)
			delete spin_start[k]
		} else if (ev ~ /_entry$/) {
			irq_start[E_cpu[i]] = t
		} else if (ev ~ /_exit$/ && (E_cpu[i] in irq_start)) {
			s = irq_start[E_cpu[i]]
			if (s <= w1 && t >= w0) {
				printf "%s %s %s\n", ms(clip(s)), ms_end(clip(s), clip(t)), yy >> irqs
				nirqs++
			}
			delete irq_start[E_cpu[i]]
		}
	}
	# Holds and spins still open at the end of the trace: to its end.
	for (k in hold_start) {
		split(k, p, SUBSEP)
		if (hold_start[k] <= w1) {
			printf "%s %s %s %d\n", ms(clip(hold_start[k])), ms(w1), lane_y[p[1]], lid[p[2]] >> holds
			nholds++
		}
	}
	for (k in spin_start) {
		split(k, p, SUBSEP)
		if (spin_start[k] <= w1) {
			printf "%s %s %s %d\n", ms(clip(spin_start[k])), ms(w1), lane_y[p[1]], lid[p[2]] >> spins
			nspins++
		}
	}
	close(holds); close(spins); close(arrows); close(labels); close(rets); close(irqs)

	printf "# summary: %.1f ms, %d lanes, %d locks, %d holds, %d spins, %d hand-overs, %d backed off\n",
		(w1 - w0) * 1000, nlanes, nlocks, nholds, nspins, nhand, nrets
	print "# gnuplot -e \"term='svg'; out='FILE.svg'\" plot.gp (scripts/trace-timeline.awk)"
	print "if (!exists(\"term\")) term = 'svg'"
	print "if (!exists(\"out\")) out = 'timeline.' . term"
	printf "h = %d\n", (ymax > 8 ? 90 + 38 * ymax : 400)
	print "if (term eq 'svg') set terminal svg size 1200, h dynamic font 'Helvetica,12' background rgb 'white'"
	print "if (term eq 'png') set terminal pngcairo size 1200, h font 'Helvetica,10' background rgb 'white'"
	print "set output out"
	print "set termoption noenhanced"
	gsub(/"/, "\\\"", title)
	printf "set title \"%s\"\n", title
	print "set xlabel 'ms'"
	printf "set xrange [0:%s]\n", ms(w1)
	printf "set yrange [%s:%s] reverse\n", -0.7, ymax + 0.7
	printf "set ytics ("
	for (l = 1; l <= nlanes; l++)
		printf "%s\"CPU%d %s\" %s", (l > 1 ? ", " : ""), lane_cpu[l], ctxname[lane_ctx[l]], lane_y[l]
	print ")"
	print "set grid xtics lc rgb '#dddddd'"
	print "set key outside right top box"
	split("#1f77b4 #ff7f0e #2ca02c #9467bd #8c564b #e377c2 #17becf #bcbd22", pal, " ")
	for (i = 1; i <= 8; i++)
		printf "set linetype %d lc rgb '%s' lw 1\n", i, pal[i]
	print "set style arrow 1 head filled size screen 0.008,20 lc rgb 'black' lw 1"
	print "d = '" dir "/'"
	printf "plot "
	# The legend: one entry per lock, then the shapes.
	for (i = 1; i <= nlocks; i++)
		printf "NaN with boxes fs solid 0.8 lt %d title '%s', ", i, lname[i]
	printf "NaN with boxes fs pattern 4 lc rgb 'black' title 'spinning (#k: queue order)', "
	printf "NaN with vectors arrowstyle 1 title 'hand-over', "
	if (nrets)
		printf "NaN with points pt 2 ps 2 lc rgb 'red' title 'backed off', "
	# Only the files with data (gnuplot warns about empty ones).
	if (nirqs)
		printf "d.'irqs.dat' using (($1+$2)/2):3:1:2:($3-0.48):($3+0.48) with boxxyerror fs solid 0.15 noborder lc rgb 'gray' title 'interrupt handler', "
	if (nspins)
		printf "d.'spins.dat' using (($1+$2)/2):3:1:2:($3-0.15):($3+0.15):4 with boxxyerror fs pattern 4 lc variable notitle, "
	if (nlabels)
		printf "d.'labels.dat' using 1:2:3 with labels left font ',9' notitle, "
	if (nhand)
		printf "d.'arrows.dat' using 1:2:3:4 with vectors arrowstyle 1 notitle, "
	printf "d.'holds.dat' using (($1+$2)/2):3:1:2:($3-0.3):($3+0.3):4 with boxxyerror fs solid 0.8 lc variable notitle"
	if (nrets)
		printf ", d.'rets.dat' using 1:2 with points pt 2 ps 2 lc rgb 'red' notitle, d.'rets.dat' using 1:($2-0.55):3 with labels tc rgb 'red' font ',11' notitle"
	print ""
}
