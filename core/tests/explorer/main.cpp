// SPDX-License-Identifier: GPL-2.0
//
// qspin_explore: runs the explorer over clients and memory models and
// prints one line of figures per run; a failure prints its schedule.
//
//   qspin_explore [--client NAME[,NAME...]|default|all] [--model sc|tso|both]
//                 [--bound N|--exhaustive] [--no-cache]
//                 [--max-executions N] [--max-seconds S]
//                 [--expect-failure] [--list]
//
// A run cut by --max-executions or --max-seconds says "ok (cut)": what it
// explored held, the rest was not explored.
//
// Exit status: 0 when every run held every property (with
// --expect-failure: when some run failed, which is how a mutant is
// caught), 1 otherwise, 2 on bad arguments.
#include "engine.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace qspin::explore;

namespace {

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> out;
	std::size_t from = 0;
	for (;;) {
		const std::size_t c = s.find(',', from);
		out.push_back(s.substr(from, c - from));
		if (c == std::string::npos)
			return out;
		from = c + 1;
	}
}

int usage()
{
	std::fprintf(stderr,
		     "usage: qspin_explore [--client NAME[,NAME...]|default|all] "
		     "[--model sc|tso|both] [--bound N|--exhaustive] "
		     "[--no-cache] [--max-executions N] [--max-seconds S] "
		     "[--expect-failure] [--list]\n");
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	std::string clients = "default", models = "both";
	Options opt;
	bool expect_failure = false;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		auto next = [&]() -> std::string {
			if (i + 1 >= argc)
				std::exit(usage());
			return argv[++i];
		};
		if (a == "--client")
			clients = next();
		else if (a == "--model")
			models = next();
		else if (a == "--bound")
			opt.bound = std::atoi(next().c_str());
		else if (a == "--exhaustive")
			opt.bound = -1;
		else if (a == "--no-cache")
			opt.state_cache = false;
		else if (a == "--max-executions")
			opt.max_executions = std::strtoul(next().c_str(),
							  nullptr, 10);
		else if (a == "--max-seconds")
			opt.max_seconds = std::atof(next().c_str());
		else if (a == "--expect-failure")
			expect_failure = true;
		else if (a == "--list") {
			list_clients();
			return 0;
		} else
			return usage();
	}
	std::vector<std::string> names;
	// default: what make check runs; all: every client (make explore).
	if (clients == "default")
		names = {"2x2", "3x1", "trylock", "irqsave", "depth2",
			 "depth4", "beyond4", "checked3", "checked2x2",
			 "checked-beyond4"};
	else if (clients == "litmus")
		names = {"sb", "sb-xchg", "mp"};
	else if (clients == "all")
		names = {"2x2", "3x1", "trylock", "trylock5", "irqsave",
			 "depth2", "depth4", "beyond4", "checked3",
			 "checked2x2", "checked-beyond4"};
	else
		names = split(clients);
	std::vector<Model> ms;
	if (models == "sc" || models == "both")
		ms.push_back(Model::sc);
	if (models == "tso" || models == "both")
		ms.push_back(Model::tso);
	if (ms.empty())
		return usage();

	bool any_failed = false;
	std::printf("%-15s %-4s %-6s %12s %12s %10s %12s %6s %8s  %s\n",
		    "client", "model", "bound", "executions", "finished",
		    "states", "steps", "depth", "seconds", "verdict");
	for (const std::string &n : names) {
		const Client *c = find_client(n);
		if (!c) {
			std::fprintf(stderr, "no client '%s' (--list)\n",
				     n.c_str());
			return 2;
		}
		for (Model m : ms) {
			Options o = opt;
			o.model = m;
			const Result r = explore(*c, o);
			const int bound = o.bound != -2 ? o.bound
					  : m == Model::tso ? c->tso_bound
							    : c->default_bound;
			const std::string b =
				bound < 0 ? "none" : std::to_string(bound);
			// A client that never reached what it is for tested
			// nothing: that fails too.
			bool uncovered = !r.failed &&
					 c->must_see != qspin::Event::count_ &&
					 !r.must_see_count;
			// A checked client: every way out it is for.
			std::string missing;
			for (unsigned w = 0; w < unsigned(LeaveWay::count_); w++)
				if ((c->must_leave >> w & 1) && !r.leaves[w]) {
					missing += missing.empty() ? "" : ", ";
					missing += leave_way_name(LeaveWay(w));
				}
			if (!r.failed && !missing.empty())
				uncovered = true;
			// A litmus test: exactly the outcomes the model
			// allows.
			const unsigned want = m == Model::tso ? c->tso_outcomes
							      : c->sc_outcomes;
			const bool wrong_outcomes = c->litmus && !r.failed &&
						    r.outcomes != want;
			if (wrong_outcomes && !expect_failure)
				any_failed = true;
			const char *verdict =
				r.failed ? "FAILED"
				: uncovered ? "FAILED (never reached its case)"
				: wrong_outcomes ? "FAILED (outcomes)"
				: (r.complete ? "ok" : "ok (cut)");
			if (uncovered && !expect_failure)
				any_failed = true;
			std::printf("%-15s %-4s %-6s %12lu %12lu %10lu %12lu %6lu "
				    "%8.2f  %s\n",
				    c->name, m == Model::sc ? "sc" : "tso",
				    b.c_str(), r.executions, r.finished,
				    r.states, r.steps, r.max_depth, r.seconds,
				    verdict);
			if (c->must_leave) {
				std::printf("%-15s %-4s left as:", c->name,
					    m == Model::sc ? "sc" : "tso");
				for (unsigned w = 0;
				     w < unsigned(LeaveWay::count_); w++)
					std::printf("%s %s %lu", w ? "," : "",
						    leave_way_name(LeaveWay(w)),
						    r.leaves[w]);
				if (!missing.empty())
					std::printf("; never: %s",
						    missing.c_str());
				std::printf("\n");
			}
			if (c->litmus)
				std::printf("%-15s %-4s outcomes seen 0x%x, "
					    "allowed 0x%x\n",
					    c->name,
					    m == Model::sc ? "sc" : "tso",
					    r.outcomes, want);
			std::fflush(stdout);
			if (r.failed) {
				any_failed = true;
				std::printf("\n%s (%s, %s): %s\nschedule:\n%s\n",
					    c->name, c->what,
					    m == Model::sc ? "sc" : "tso",
					    r.failure.c_str(),
					    r.schedule.c_str());
				std::fflush(stdout);
				if (expect_failure)
					return 0;
			}
		}
	}
	if (expect_failure) {
		std::printf("NOT CAUGHT: every run held every property\n");
		return 1;
	}
	return any_failed ? 1 : 0;
}
