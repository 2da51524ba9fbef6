package checkpoint

import (
	"context"
	"fmt"
	"slices"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// MoveTo keeps the checkpoint under prefix from now on: its state and
// emitted-row keys are written there in one batch, and only then deleted
// from the old prefix. A crash between the two leaves the old copy behind,
// unread: Open of the new prefix finds the new one.
func (s *Store) MoveTo(ctx context.Context, prefix string) error {
	if prefix == s.prefix {
		return nil
	}
	moved := &Store{client: s.client, prefix: prefix}
	var sets, deletes []*storage.Operation
	for bucket, n := range s.State.Chunks {
		for i := range n {
			chunk, err := s.client.Get(ctx, s.chunkKey(bucket, i))
			if err != nil {
				return fmt.Errorf("moving the checkpoint: reading emitted-row keys: %w", err)
			}
			sets = append(sets, storage.SetOperation(moved.chunkKey(bucket, i), chunk))
			deletes = append(deletes, storage.DeleteOperation(s.chunkKey(bucket, i)))
		}
	}
	for _, q := range s.lookups.items {
		if q.saved {
			deletes = append(deletes, storage.DeleteOperation(q.key))
		}
	}
	deletes = append(deletes, storage.DeleteOperation(s.stateKey()), storage.DeleteOperation(s.generationKey()))
	old, oldGen, oldLookups := s.prefix, s.readGen, slices.Clone(s.lookups.items)
	s.prefix, s.readGen = prefix, 0 // the new prefix holds nothing yet
	s.rekeyLookups()
	if err := s.write(ctx, sets); err != nil {
		s.prefix, s.readGen, s.lookups.items = old, oldGen, oldLookups
		return fmt.Errorf("moving the checkpoint to %q: %w", prefix, err)
	}
	if err := s.client.Batch(ctx, deletes...); err != nil {
		s.logger.Warn("the checkpoint moved; its old copy could not be deleted and stays unread")
	}
	return nil
}
