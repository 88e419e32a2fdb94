package vault

import "testing"

func TestMemoryConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) func() Store {
		s := NewMemoryStore()
		return func() Store { return s }
	})
}

func TestMemoryBackend(t *testing.T) {
	v := NewMemory(ring(t, "k1", testKey("k1", 1)))
	if v.Backend() != "memory" {
		t.Errorf("Backend() = %q", v.Backend())
	}
	if err := v.Close(); err != nil {
		t.Error(err)
	}
}
