package config

import "regexp"

// Monitoring is headroom:monitoring: the Cloud Monitoring alert policies
// and dashboard the program declares from the capacity model's numbers
// (docs/monitoring.md).
type Monitoring struct {
	// Enabled turns the alerts and the dashboard off when false; unset
	// means on.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// NotificationChannels are Cloud Monitoring notification channel
	// names (projects/<project>/notificationChannels/<id>) every alert
	// policy notifies.
	NotificationChannels []string `yaml:"notificationChannels" json:"notificationChannels"`
}

// IsEnabled reports whether the alerts and dashboard are declared
// (default true).
func (m Monitoring) IsEnabled() bool { return m.Enabled == nil || *m.Enabled }

// notificationChannel is the resource name of a Cloud Monitoring
// notification channel.
var notificationChannel = regexp.MustCompile(`^projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/notificationChannels/[0-9]+$`)

func (d *decoder) monitoring(s *Stack) error {
	mp := root("monitoring")
	seen := map[string]bool{}
	for i, c := range s.Monitoring.NotificationChannels {
		p := mp.field("notificationChannels").index(i)
		if !notificationChannel.MatchString(c) {
			return errf(p, "must be a notification channel name projects/<project>/notificationChannels/<id>, got %q", clip(c))
		}
		if seen[c] {
			return errf(p, "duplicate notification channel %q", clip(c))
		}
		seen[c] = true
	}
	return nil
}
