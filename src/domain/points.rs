//! Points: whole numbers in a newtype, never floats. 1 point = 1 yuan of goods.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Neg, Sub};

/// A number of points. Signed so that postings can be debits and credits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Points(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// Multiplies a unit price by a quantity; `None` on overflow (a forged input, never a real sale).
    pub fn times(self, quantity: u32) -> Option<Points> {
        self.0.checked_mul(i64::from(quantity)).map(Points)
    }

    pub fn checked_add(self, other: Points) -> Option<Points> {
        self.0.checked_add(other.0).map(Points)
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Points earned for an activity: rate × minutes / 60, rounded half up so that a resident never
/// loses the half point of a half hour at an odd rate.
pub fn earned_points(points_per_hour: Points, minutes: u32) -> Option<Points> {
    let scaled = points_per_hour.0.checked_mul(i64::from(minutes))?;
    Some(Points((scaled + 30) / 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_an_hour_at_an_odd_rate_rounds_up() {
        assert_eq!(earned_points(Points(5), 30), Some(Points(3)));
        assert_eq!(earned_points(Points(10), 90), Some(Points(15)));
        assert_eq!(earned_points(Points(10), 0), Some(Points(0)));
    }

    #[test]
    fn overflowing_prices_are_refused_not_wrapped() {
        assert_eq!(Points(i64::MAX).times(2), None);
        assert_eq!(Points(3).times(4), Some(Points(12)));
    }
}
