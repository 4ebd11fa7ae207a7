package mock

import "github.com/lumamock/lumamock/internal/ring"

// The limits of the server hold for all its sessions together: Options.MaxTasks and MaxTaskMemory for the tasks
// kept, JournalMaxBytes for each journal (requests, callback attempts). Past one, the least recently used
// session gives way first: its oldest tasks or entries are forgotten, then the next session's, and the session
// being served loses its own oldest last (never its newest).

// trimTasks forgets tasks, the least recently used session's oldest first, until the tasks kept fit the
// server's limits; current keeps its newest task. The callbacks of the tasks forgotten are given up.
func (s *Server) trimTasks(current *Session) {
	for s.taskBudget.over() {
		victim := s.sessions.leastUsed(func(ss *Session) bool { return ss.tasks.len() > 1 || ss != current && ss.tasks.len() > 0 })
		if victim == nil {
			return
		}
		if t := victim.tasks.evictOldest(victim == current); t != nil {
			s.callbacks.drop([]*task{t}, OutcomeAbandoned, reasonEvicted)
			if t.slot != nil { // a task forgotten holds no slot; without a capacity none has one
				s.leaveQueue([]*task{t}, victim.clock.Now())
			}
		}
	}
}

// trimJournals forgets journal entries, the least recently used session's oldest first, until each journal
// fits JournalMaxBytes; current keeps its newest entry of each.
func (s *Server) trimJournals(current *Session) {
	trimRing(s, s.requestBytes, current, func(ss *Session) *ring.Ring[requestEntry] { return ss.journal.requests })
	trimRing(s, s.callbackBytes, current, func(ss *Session) *ring.Ring[callbackEntry] { return ss.journal.callbacks })
}

func trimRing[T any](s *Server, budget *ring.Shared, current *Session, of func(*Session) *ring.Ring[T]) {
	for budget.Over() {
		victim := s.sessions.leastUsed(func(ss *Session) bool {
			n := of(ss).Held()
			return n > 1 || ss != current && n > 0
		})
		if victim == nil || !of(victim).DropOldest(victim == current) {
			return
		}
	}
}
